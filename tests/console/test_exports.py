"""The funnel download never carries a live formula: a partner's hostile display name comes out
inert; gross and share stay numbers, negative ones too (XLSX: in the money format)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest

from core.exports import MONEY_FORMAT
from revenue.services.funnel import funnel_sales_refresh
from tests.factories import PartnerFactory
from tests.insights.data import SHANGHAI, offer, offers_write, sale
from tests.products.factories import ProductFactory
from tests.scenarios.factories import ScenarioFactory

NAME = "-1+1+cmd|' /C calc'!A0"
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-01-31", "group_by": "partner"}


@pytest.fixture
def hostile(db, staff_roles):
    partner = PartnerFactory(slug="evil", display_name=NAME)
    scenario, product = ScenarioFactory(code="travel-finance"), ProductFactory(code="trip-installment")
    row = offer(
        partner=partner,
        scenario=scenario,
        product=product,
        quoted_at=datetime(2026, 1, 10, 9, tzinfo=SHANGHAI),
    )
    offers_write([row])
    received = datetime(2026, 1, 12, 9, tzinfo=SHANGHAI)
    # A refund larger than what is left of the offer's sales in this period: net gross is negative.
    sold = sale(row, product=product, amount="100.00", received_at=received)
    sale(row, product=product, amount="100.00", kind="refund", refund_of=sold, received_at=received)
    sale(row, product=product, amount="19.50", kind="refund", refund_of=sold, received_at=received)
    funnel_sales_refresh(now=received + timedelta(minutes=1))
    return partner


def test_the_funnel_csv_quotes_the_partner_name_and_keeps_the_negative_gross_a_number(staff_client, hostile):
    response = staff_client.get("/staff/funnel/", {**PERIOD, "export": "csv"})

    header, row, _total = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert row[header.index("Partner")] == "'" + NAME
    assert row[header.index("Gross amount")] == "-19.50"
    assert row[header.index("Revenue share")] == "0.00"


def test_the_funnel_xlsx_has_a_text_name_and_money_cells(staff_client, hostile):
    response = staff_client.get("/staff/funnel/", {**PERIOD, "export": "xlsx"})

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = sheet[2]
    name, gross = row[header.index("Partner")], row[header.index("Gross amount")]
    assert (name.value, name.data_type) == ("'" + NAME, "s")
    assert (Decimal(str(gross.value)), gross.data_type, gross.number_format) == (
        Decimal("-19.5"),
        "n",
        MONEY_FORMAT,
    )
    assert row[header.index("Offers taken")].value == 1
    assert not any(isinstance(c.value, str) and c.value.startswith("=") for r in sheet.iter_rows() for c in r)
