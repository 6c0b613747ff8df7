"""The staff console's payouts page: money owed (less open claw-backs), in payment, paid and
returned by partner, exact to the fen, on a scenario built with the real services; finance's
work queues; who may see it; the same queries for one partner or many; exports; Chinese."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal as D

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from console.forms import PayoutsForm
from payouts.models import PayeeAccount, VatInvoice
from payouts.services.batches import payout_batch_build, payout_batch_release
from payouts.services.reconcile import bank_statement_import, payout_return, payout_settle
from portal import roles
from tests.factories import StaffFactory
from tests.payouts.batch_helpers import (
    account_verified,
    approved_statement,
    invoice_verified,
    payable_partner,
)
from tests.payouts.camt import Tx, camt053_written
from tests.payouts.factories import payee_account
from tests.revenue.factories import finance_staff, scenario_with_products

pytestmark = pytest.mark.django_db
URL = "/staff/payouts/"


@pytest.fixture
def people(staff_roles):
    """(maker, checker, clerk): a finance maker, a finance checker, a maker who imports files."""
    return (
        finance_staff(staff_roles, "maker@bank.example", roles.FINANCE_MAKERS),
        finance_staff(staff_roles, "checker@bank.example", roles.FINANCE_CHECKERS),
        finance_staff(staff_roles, "clerk@bank.example", roles.FINANCE_MAKERS),
    )


@pytest.fixture
def scenario(db):
    return scenario_with_products()[0]


def build_and_release(maker, checker):
    batch = payout_batch_build(actor=maker, currency="CNY", requested_execution_date=timezone.localdate())
    return payout_batch_release(batch=batch, actor=checker)


def invoiced(agreement, total: str):
    statement = approved_statement(agreement, total)
    invoice_verified(statement)
    return statement


def pending_account(partner, currency: str = "CNY") -> None:
    """A payee account submitted and awaiting verification (the partner has none verified in
    ``currency``)."""
    account = payee_account(partner, currency)
    PayeeAccount.objects.filter(pk=account.pk).update(status="pending", verified_at=None, effective_at=None)


def partner(people, scenario, slug: str, *, account: bool = True):
    maker, checker, _clerk = people
    return payable_partner(maker=maker, checker=checker, scenario=scenario, slug=slug, account=account)


@pytest.fixture
def world(people, scenario):
    """skyway: claw-back −30.00, then 100.00 and 50.25 → paid 120.25 (batch 1, settled); then
    200.15 netted against a claw-back of −500.00 (batch 2: nothing paid, 299.85 still open); then
    80.00 with no invoice (owed, blocked). oasis: 1,000.01 in payment. lagoon: 45.67 paid, then
    returned (owed again). draftco: 5.00 in a draft batch. newco: an account awaiting verification and 10.00
    with an invoice awaiting review. cooler: 20.00, its account in cooling-off. One bank entry
    with an unknown id waits for a decision."""
    maker, checker, clerk = people
    skyway = partner(people, scenario, "skyway")
    oasis = partner(people, scenario, "oasis")
    lagoon = partner(people, scenario, "lagoon")
    approved_statement(skyway, "-30.00")
    invoiced(skyway, "100.00")
    invoiced(skyway, "50.25")
    invoiced(oasis, "1000.01")
    invoiced(lagoon, "45.67")
    first = build_and_release(maker, checker)
    payouts = {p.partner.slug: p for p in first.payouts.select_related("partner")}
    assert payouts["skyway"].amount == D("120.25")
    today = timezone.localdate()
    payout_settle(payout=payouts["skyway"], value_date=today, bank_reference="BNK-1", actor=clerk)
    payout_settle(payout=payouts["lagoon"], value_date=today, bank_reference="BNK-2", actor=clerk)

    invoiced(skyway, "200.15")
    approved_statement(skyway, "-500.00")
    second = build_and_release(maker, checker)
    assert second.payment_count == 0  # netted to zero: 299.85 of the claw-back carries forward

    draftco = partner(people, scenario, "draftco")
    invoiced(draftco, "5.00")
    payout_batch_build(actor=maker, currency="CNY", requested_execution_date=today)
    # Returned after the last build: its statement is owed again, for the next batch.
    payout_return(payout=payouts["lagoon"], reason="Account closed (AC04)", actor=clerk)

    approved_statement(skyway, "80.00")  # no invoice
    newco = partner(people, scenario, "newco", account=False)
    pending_account(newco.partner)
    VatInvoice.objects.filter(pk=invoiced(newco, "10.00").invoices.get().pk).update(status="submitted")
    cooler = partner(people, scenario, "cooler", account=False)
    PayeeAccount.objects.filter(pk=account_verified(cooler.partner).pk).update(
        effective_at=timezone.now() + timedelta(hours=20)
    )
    invoiced(cooler, "20.00")
    bank_statement_import(content=camt053_written(Tx("NOT-OURS-1", "9.99")), filename="s.xml", actor=clerk)
    return {"skyway": skyway.partner, "lagoon": lagoon.partner, "newco": newco.partner}


@pytest.fixture
def checker_client(client, people):
    client.force_login(people[1])
    return client


def table(html: str, table_id: str) -> list[list[str]]:
    """The body and foot rows of one table, as the texts of their cells."""
    start = html.index(f'id="{table_id}"')
    body = html[start : html.index("</table>", start)].split("</thead>", 1)[-1]
    return [
        [re.sub(r"<[^>]+>", "", cell).replace("\xa0", " ").strip() for cell in CELL.findall(row)]
        for row in ROW.findall(body)
    ]


ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
EXPECTED = [
    # partner, currency, owed, claw-backs open, net owed, in payment, paid, returned
    ["Cooler", "CNY", "20.00", "0.00", "20.00", "0.00", "0.00", "0.00"],
    ["Lagoon", "CNY", "45.67", "0.00", "45.67", "0.00", "0.00", "45.67"],
    ["Newco", "CNY", "10.00", "0.00", "10.00", "0.00", "0.00", "0.00"],
    ["Oasis", "CNY", "0.00", "0.00", "0.00", "1,000.01", "0.00", "0.00"],
    ["Skyway", "CNY", "80.00", "299.85", "-219.85", "0.00", "120.25", "0.00"],
]
TOTAL = ["155.67", "299.85", "-144.18", "1,000.01", "120.25", "45.67"]


def test_the_figures_are_exact_to_the_fen(world, checker_client):
    html = checker_client.get(URL).content.decode()
    rows = table(html, "payouts-partners")
    assert rows[:-1] == EXPECTED
    assert rows[-1][0] == "Total"
    assert rows[-1][2:] == TOTAL


def test_the_queues_count_what_waits(world, checker_client):
    html = checker_client.get(URL).content.decode()
    assert [row[1] for row in table(html, "payouts-queues")] == ["1", "1", "3", "1", "1"]
    assert "/admin/payouts/payeeaccount/?status__exact=pending" in html
    assert "/admin/payouts/vatinvoice/?status__exact=submitted" in html
    assert "/admin/payouts/bankstatemententry/?open=1" in html
    assert "/admin/payouts/payoutbatch/?status__exact=draft" in html
    blocked = {row[1]: row[3] for row in table(html, "payouts-blocked-list")}
    assert blocked["Skyway"] == "no VAT invoice recorded"
    assert blocked["Newco"] == "no verified payee account; VAT invoice awaiting review"
    assert blocked["Cooler"].startswith("payee account in cooling-off until ")


def test_a_waived_tier_is_not_blocked_for_its_invoice(world, checker_client, settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard", "premier", "strategic")
    html = checker_client.get(URL).content.decode()
    blocked = {row[1]: row[3] for row in table(html, "payouts-blocked-list")}
    assert "Skyway" not in blocked
    assert blocked["Newco"] == "no verified payee account"


def test_paid_and_returned_follow_the_period(world, checker_client):
    last_year = timezone.localdate().year - 1
    html = checker_client.get(URL, {"date_from": f"{last_year}-01-01", "date_to": f"{last_year}-12-31"})
    rows = table(html.content.decode(), "payouts-partners")
    # Lagoon's return this month is out of the period; owed and in payment do not depend on it.
    assert [row[0] for row in rows[:-1]] == ["Cooler", "Lagoon", "Newco", "Oasis", "Skyway"]
    assert rows[-1][2:] == ["155.67", "299.85", "-144.18", "1,000.01", "0.00", "0.00"]


def test_the_default_period_is_this_month_and_a_bad_one_is_named(db, checker_client):
    assert PayoutsForm(None, today=date(2026, 3, 15)).period() == (date(2026, 3, 1), date(2026, 3, 15))
    chosen = PayoutsForm({"date_from": "2026-01-01", "date_to": "2026-01-31"}, today=date(2026, 3, 15))
    assert chosen.period() == (date(2026, 1, 1), date(2026, 1, 31))
    bad = checker_client.get(URL, {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert bad.status_code == 200
    assert "The start must be on or before the end." in bad.content.decode()


def test_the_exports_are_the_table_with_numbers(world, checker_client):
    response = checker_client.get(URL, {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Partner",
        "Currency",
        "Owed",
        "Claw-backs open",
        "Net owed",
        "In payment",
        "Paid",
        "Returned",
    ]
    assert rows[5] == ["Skyway", "CNY", "80.00", "299.85", "-219.85", "0.00", "120.25", "0.00"]
    assert rows[6] == ["Total", "CNY", "155.67", "299.85", "-144.18", "1000.01", "120.25", "45.67"]

    book = openpyxl.load_workbook(io.BytesIO(checker_client.get(URL, {"export": "xlsx"}).content))
    values = list(book.active.iter_rows(values_only=True))
    assert values[4][0] == "Oasis"
    assert D(str(values[4][5])) == D("1000.01")
    assert D(str(values[6][4])) == D("-144.18")


def test_a_partner_name_never_becomes_a_formula(people, scenario, checker_client):
    agreement = partner(people, scenario, "evil")
    agreement.partner.display_name = "=HYPERLINK(1)"
    agreement.partner.save(update_fields=["display_name"])
    approved_statement(agreement, "1.00")
    rows = list(
        csv.reader(io.StringIO(checker_client.get(URL, {"export": "csv"}).content.decode("utf-8-sig")))
    )
    assert rows[1][0] != "=HYPERLINK(1)"
    assert rows[1][0].endswith("=HYPERLINK(1)")


@pytest.mark.parametrize("group", [roles.FINANCE_MAKERS, roles.FINANCE_CHECKERS, roles.AUDITORS])
def test_finance_and_auditors_see_the_page_and_its_nav_entry(client, staff_roles, group):
    user = StaffFactory(email="f@bank.example")
    user.groups.add(staff_roles[group])
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert f'href="{URL}"' in client.get("/staff/audit/").content.decode()


def test_staff_without_payouts_permissions_get_403_and_no_nav_entry(client):
    client.force_login(StaffFactory(email="nobody@bank.example"))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"export": "csv"}).status_code == 403
    assert f'href="{URL}"' not in client.get("/staff/audit/").content.decode()


def test_partners_are_refused_and_visitors_sent_to_log_in(client, alice):
    assert client.get(URL).status_code == 302
    client.force_login(alice)
    assert client.get(URL).status_code == 403


def many_partners(people, scenario, count: int, start: int = 0):
    """``count`` partners, each with a settled payout, one in payment, an open claw-back, a
    blocked statement and a pending account."""
    maker, checker, clerk = people
    agreements = [partner(people, scenario, f"p{start + n}") for n in range(count)]
    for agreement in agreements:
        invoiced(agreement, "10.01")
    batch = build_and_release(maker, checker)
    for payout in list(batch.payouts.all())[: count // 2 + 1]:
        payout_settle(payout=payout, value_date=timezone.localdate(), bank_reference="B", actor=clerk)
    for agreement in agreements:
        invoiced(agreement, "3.00")
        approved_statement(agreement, "-7.77")
        approved_statement(agreement, "2.22")
        pending_account(agreement.partner, "USD")


def test_the_page_costs_the_same_queries_for_one_partner_or_many(
    people, scenario, checker_client, django_assert_num_queries
):
    many_partners(people, scenario, 1)
    with CaptureQueriesContext(connection) as one:
        assert checker_client.get(URL).status_code == 200
    many_partners(people, scenario, 6, start=1)
    with django_assert_num_queries(len(one.captured_queries)):
        response = checker_client.get(URL)
    assert len(table(response.content.decode(), "payouts-partners")) == 8  # 7 partners + total


def test_the_page_in_chinese(world, checker_client):
    html = checker_client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for text in ("付款", "应付", "付款中", "已退回", "待核验的收款账户", "未开具增值税发票"):
        assert text in html, text
    assert "Owed" not in html


def test_nothing_yet(db, checker_client):
    html = checker_client.get(URL).content.decode()
    assert "Nothing owed, in payment, paid or returned." in html
