"""Import and export of the catalog: row-level errors, all or nothing, CSV and XLSX."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from products.models import Product
from products.resources import ProductResource
from tests.factories import StaffFactory
from tests.products.factories import ProductFactory

pytestmark = pytest.mark.django_db

HEADERS = ["code", "name", "category", "currency", "rate", "rate_floor", "rate_ceiling", "min_amount",
           "max_amount", "tenor_months", "repayment_method", "minimum_charge", "fixed_fee", "status"]  # fmt: skip
INSTALLMENT_ROW = ["trip-3-12", "Trip installments", "installment", "CNY", "0.120000", "0.080000", "0.180000",
                   "500.00", "50000.00", "3,6,12", "equal_installment", "", "", ""]  # fmt: skip
INSURANCE_ROW = ["trip-cover", "Trip cover", "insurance", "CNY", "0.005000", "0.003000", "0.010000",
                 "", "", "", "", "20.00", "", "active"]  # fmt: skip


def dataset(*rows) -> tablib.Dataset:
    return tablib.Dataset(*rows, headers=HEADERS)


def test_an_import_creates_draft_products_with_typed_terms():
    result = ProductResource().import_data(dataset(INSTALLMENT_ROW, INSURANCE_ROW))

    assert not result.has_errors()
    assert not result.has_validation_errors()
    trip = Product.objects.get(code="trip-3-12")
    assert trip.tenor_months == [3, 6, 12]
    assert trip.rate == D("0.120000")
    # "status" is exported but never imported: new products arrive as drafts.
    assert Product.objects.get(code="trip-cover").status == Product.Status.DRAFT


def test_one_invalid_row_writes_nothing_and_names_the_row_and_term():
    bad = list(INSURANCE_ROW)
    bad[HEADERS.index("tenor_months")] = "12"  # insurance takes no tenors

    result = ProductResource().import_data(dataset(INSTALLMENT_ROW, bad))

    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 2
    assert "tenor_months" in invalid.error_dict
    assert not Product.objects.exists()


def test_a_malformed_value_is_a_row_error_not_a_crash():
    bad = list(INSTALLMENT_ROW)
    bad[HEADERS.index("tenor_months")] = "3,six"

    result = ProductResource().import_data(dataset(bad))

    assert result.has_validation_errors()
    assert "tenor_months" in result.invalid_rows[0].error_dict
    assert not Product.objects.exists()


def test_an_import_updates_a_product_by_code_and_keeps_its_status():
    ProductFactory(code="trip-3-12", status="active")
    row = list(INSTALLMENT_ROW)
    row[HEADERS.index("rate")] = "0.110000"

    result = ProductResource().import_data(dataset(row))

    assert not result.has_validation_errors()
    product = Product.objects.get(code="trip-3-12")
    assert (product.rate, product.status) == (D("0.110000"), "active")


def test_a_retired_product_cannot_be_changed_by_import():
    ProductFactory(code="trip-3-12", status="retired", name="Old name")

    result = ProductResource().import_data(dataset(INSTALLMENT_ROW))

    assert result.has_validation_errors()
    assert Product.objects.get(code="trip-3-12").name == "Old name"


def test_an_export_imports_back_unchanged():
    ProductFactory(code="a-loan", category="consumer_credit")
    ProductFactory(code="b-data", category="data_service")
    exported = ProductResource().export()

    assert exported.dict[0]["tenor_months"] == "6,12,24,36"
    result = ProductResource().import_data(tablib.Dataset().load(exported.csv, format="csv"))

    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert {row.import_type for row in result.rows} == {"skip"}


@pytest.fixture
def manager(staff_roles, client):
    user = StaffFactory(email="pm@bank.example")
    user.groups.add(staff_roles["Product managers"])
    client.force_login(user)
    return user


def _upload(client, content: bytes, name: str, fmt: int):
    return client.post(
        "/admin/products/product/import/",
        {"import_file": SimpleUploadedFile(name, content), "format": fmt, "resource": 0},
    )


def test_staff_see_row_errors_in_the_admin_and_nothing_is_written(client, manager):
    bad = list(INSTALLMENT_ROW)
    bad[HEADERS.index("rate")] = "0.500000"
    csv = dataset(INSURANCE_ROW, bad).csv.encode()

    response = _upload(client, csv, "products.csv", 0)
    page = response.content.decode()

    (invalid,) = response.context["result"].invalid_rows
    assert invalid.number == 2
    assert "between 0 % and 36 % a year" in " ".join(invalid.error_dict["rate"])
    assert "between 0 % and 36 % a year" in page
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert not Product.objects.exists()


def test_staff_import_an_xlsx_file_after_confirming(client, manager):
    xlsx = dataset(INSTALLMENT_ROW).export("xlsx")

    preview = _upload(client, xlsx, "products.xlsx", 1)
    assert preview.status_code == 200
    form = preview.context["confirm_form"]
    assert not Product.objects.exists()  # the preview is a dry run

    client.post("/admin/products/product/process_import/", form.initial)

    product = Product.objects.get(code="trip-3-12")
    assert product.history.first().history_user == manager


def test_only_staff_with_the_permission_may_import(client, staff_roles):
    auditor = StaffFactory(email="auditor@bank.example")
    auditor.groups.add(staff_roles["Auditors"])
    client.force_login(auditor)

    assert client.get("/admin/products/product/import/").status_code == 403
