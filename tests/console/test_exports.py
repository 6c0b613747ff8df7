"""The funnel download never carries a live formula: a partner's hostile display name comes out
inert; gross and share stay numbers, negative ones too (XLSX: in the money format)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
import time_machine

from console.services.rollups import transaction_rollup_refresh
from core.exports import MONEY_FORMAT
from tests.console.factories import ledger_row, shanghai
from tests.factories import IndustryFactory, PartnerFactory
from tests.revenue.factories import join, scenario_with_products

NAME = "-1+1+cmd|' /C calc'!A0"
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-01-31"}


@pytest.fixture
def hostile(db, staff_roles):
    with time_machine.travel(datetime(2026, 2, 10, 9, 0, tzinfo=shanghai(date(2026, 2, 10)).tzinfo)):
        scenario, (installment, _cover) = scenario_with_products()
        partner = PartnerFactory(slug="evil", display_name=NAME, industry=IndustryFactory(code="travel"))
        join(partner, scenario)
        ledger_row(
            partner, scenario, installment, when=shanghai(date(2026, 1, 10)), amount="100.00", customer="c1"
        )
        ledger_row(
            partner,
            scenario,
            installment,
            when=shanghai(date(2026, 1, 12)),
            amount="180.50",
            kind="refund",
            customer="c1",
        )
        transaction_rollup_refresh(start=date(2026, 1, 1), end=date(2026, 1, 31))
        yield partner


def test_the_funnel_csv_quotes_the_partner_name_and_keeps_the_negative_gross_a_number(staff_client, hostile):
    response = staff_client.get("/staff/funnel/", {**PERIOD, "export": "csv"})

    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert row[header.index("Partner")] == "'" + NAME
    assert row[header.index("Gross amount")] == "-80.50"
    assert row[header.index("Revenue share")] == "0.00"


def test_the_funnel_xlsx_has_a_text_name_and_money_cells(staff_client, hostile):
    response = staff_client.get("/staff/funnel/", {**PERIOD, "export": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = sheet[2]
    name, gross = row[header.index("Partner")], row[header.index("Gross amount")]
    assert (name.value, name.data_type) == ("'" + NAME, "s")
    assert (Decimal(str(gross.value)), gross.data_type, gross.number_format) == (
        Decimal("-80.5"),
        "n",
        MONEY_FORMAT,
    )
    assert row[header.index("Transactions")].value == 1
