"""The catalog export (import-export admin): staff-written text that looks like a formula comes
out quoted; terms stay numbers (XLSX numeric cells, amounts in the money format; CSV plain
numbers), and an exported XLSX imports back unchanged."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
import tablib

from core.exports import MONEY_FORMAT
from tests.factories import StaffFactory
from tests.products.factories import ProductFactory

pytestmark = pytest.mark.django_db

NAME = "=1+1"
DESCRIPTION = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory(email="pm@bank.test", is_superuser=True))
    return client


@pytest.fixture
def product(db):
    return ProductFactory(code="trip-loan", name=NAME, description=DESCRIPTION)


def _export(client, fmt: str):
    from products.resources import ProductResource

    fields = ProductResource.Meta.fields
    return client.post(
        "/admin/products/product/export/",
        {
            "format": {"csv": "0", "xlsx": "1"}[fmt],
            "resource": "0",
            **{f"productresource_{f}": "on" for f in fields},
        },
    )


def test_the_csv_export_quotes_the_name_and_description(staff_client, product):
    rows = tablib.Dataset().load(_export(staff_client, "csv").content.decode("utf-8-sig"), format="csv").dict

    assert (rows[0]["name"], rows[0]["description"]) == ("'" + NAME, "'" + DESCRIPTION)
    assert rows[0]["min_amount"] == f"{product.min_amount}"


def test_the_xlsx_export_keeps_text_as_text_and_terms_as_numbers(staff_client, product):
    sheet = openpyxl.load_workbook(io.BytesIO(_export(staff_client, "xlsx").content)).active
    header = [c.value for c in sheet[1]]
    row = sheet[2]

    assert (row[header.index("name")].value, row[header.index("name")].data_type) == ("'" + NAME, "s")
    amount = row[header.index("min_amount")]
    assert (Decimal(str(amount.value)), amount.data_type, amount.number_format) == (
        product.min_amount,
        "n",
        MONEY_FORMAT,
    )
    rate = row[header.index("rate")]
    assert (Decimal(str(rate.value)), rate.data_type, rate.number_format) == (product.rate, "n", "General")
    assert sheet["A1"].font.b


def test_an_exported_xlsx_imports_back_unchanged(staff_client, product):
    from products.resources import ProductResource

    body = _export(staff_client, "xlsx").content
    result = ProductResource().import_data(tablib.Dataset().load(body, format="xlsx"))

    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}
