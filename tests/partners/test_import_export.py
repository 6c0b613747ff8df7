"""Import and export of partners (CSV, XLSX): all rows valid or nothing written."""

import io
import re

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.admin.resources import IMPORT_COLUMNS, PartnerResource
from partners.models import Partner
from tests.factories import IndustryFactory, StaffFactory

HEADER = ",".join(IMPORT_COLUMNS)


def _row(slug, code, industry="travel", rm="rm@bank.test", tier="gold", risk="low", name=None):
    name = name or slug.replace("-", " ").title()
    return f"{slug},{name} Co. Ltd.,{name},{code},{industry},{tier},{risk},{rm},Ann,ann@{slug}.test,010-12345678,https://{slug}.test"


GOOD = "\n".join(
    [
        HEADER,
        _row("sky-one", "91350100M000100Y43"),
        _row("sky-two", "91110000802100433B", industry="community"),
    ]
)
ONE_BAD = "\n".join(
    [
        HEADER,
        _row("sky-one", "91350100M000100Y43"),
        _row("sky-two", "91110000802100433C"),  # wrong check character, row 2
        _row("sky-three", "91440300708461136T"),
    ]
)


@pytest.fixture
def setup(db, manager):
    IndustryFactory(code="travel")
    IndustryFactory(code="community")
    StaffFactory(email="rm@bank.test")
    return manager


def _import(text, user, dry_run=False):
    dataset = tablib.Dataset().load(text, format="csv")
    return PartnerResource().import_data(dataset, dry_run=dry_run, user=user)


@pytest.mark.django_db
def test_a_good_file_creates_draft_partners_through_the_service(setup):
    result = _import(GOOD, setup)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    one = Partner.objects.get(slug="sky-one")
    assert (one.status, one.industry.code, one.tier, one.relationship_manager.email) == (
        "draft",
        "travel",
        "gold",
        "rm@bank.test",
    )
    assert one.contact_phone == "010-12345678"
    assert one.history.first().history_user == setup
    assert Partner.objects.get(slug="sky-two").industry.code == "community"


@pytest.mark.django_db
def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row_and_field(setup):
    result = _import(ONE_BAD, setup)

    assert result.has_validation_errors()
    assert not Partner.objects.exists()
    invalid = result.invalid_rows
    assert [row.number for row in invalid] == [2]
    assert "credit_code" in invalid[0].error_dict
    assert "check character" in " ".join(invalid[0].error_dict["credit_code"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "field"),
    [
        (_row("sky-x", "91350100M000100Y43", industry="space"), "industry"),
        (_row("sky-x", "91350100M000100Y43", rm="alice@acme.test"), "relationship_manager"),
        (_row("sky-x", "91350100M000100Y43", tier="platinum"), "tier"),
        (_row("sky-x", "9135"), "credit_code"),
        (_row("Not A Slug!", "91350100M000100Y43"), "slug"),
    ],
)
def test_each_kind_of_bad_cell_names_its_field(setup, row, field):
    result = _import("\n".join([HEADER, row]), setup)

    assert result.has_validation_errors()
    assert field in result.invalid_rows[0].error_dict
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_credit_code_within_the_file_is_refused(setup):
    text = "\n".join([HEADER, _row("sky-one", "91350100M000100Y43"), _row("sky-dup", "91350100M000100Y43")])

    result = _import(text, setup)

    assert [row.number for row in result.invalid_rows] == [2]
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_the_status_column_is_never_imported(setup):
    _import(GOOD, setup)
    text = GOOD.replace(HEADER, HEADER + ",status").replace(
        "https://sky-one.test", "https://sky-one.test,active"
    )

    _import(text.replace("https://sky-two.test", "https://sky-two.test,terminated"), setup)

    assert set(Partner.objects.values_list("status", flat=True)) == {"draft"}


@pytest.mark.django_db
def test_someone_without_the_permission_cannot_import(setup, auditor):
    result = _import(GOOD, auditor)

    assert result.has_validation_errors()
    assert not Partner.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_round_trips(setup, file_format):
    _import(GOOD, setup)
    before = list(
        Partner.objects.order_by("slug").values(
            *[c for c in IMPORT_COLUMNS if c not in ("industry", "relationship_manager")],
            "industry__code",
            "relationship_manager__email",
        )
    )

    exported = PartnerResource().export()
    payload = exported.export(file_format)
    assert "status" in exported.headers
    Partner.objects.all().delete()
    dataset = tablib.Dataset().load(payload, format=file_format)
    result = PartnerResource().import_data(dataset, user=setup)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    after = list(
        Partner.objects.order_by("slug").values(
            *[c for c in IMPORT_COLUMNS if c not in ("industry", "relationship_manager")],
            "industry__code",
            "relationship_manager__email",
        )
    )
    assert after == before


@pytest.mark.django_db
def test_reimporting_an_export_unchanged_changes_nothing(setup):
    _import(GOOD, setup)
    history = sum(p.history.count() for p in Partner.objects.all())

    result = PartnerResource().import_data(PartnerResource().export(), user=setup)

    assert result.totals["skip"] == 2
    assert sum(p.history.count() for p in Partner.objects.all()) == history


# --------------------------------------------------------------------------------------
# Through the admin
# --------------------------------------------------------------------------------------
def _post_import(client, content: bytes, name: str, fmt: int):
    return client.post(
        "/admin/partners/partner/import/",
        {"import_file": SimpleUploadedFile(name, content), "format": str(fmt), "resource": "0"},
    )


@pytest.mark.django_db
def test_the_admin_shows_row_errors_and_offers_no_confirmation_for_a_bad_file(client, setup):
    client.force_login(setup)

    response = _post_import(client, ONE_BAD.encode(), "partners.csv", 0)

    page = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert response.status_code == 200
    assert "Some rows failed to validate" in text
    # the row number, then the field and its message
    assert re.search(r"Row Errors .*? 2 1 credit_code The check character", text)
    assert "process_import" not in page  # no confirm form
    assert not Partner.objects.exists()


@pytest.mark.django_db
def test_the_admin_imports_a_good_xlsx_file_after_confirmation(client, setup):
    client.force_login(setup)
    workbook = tablib.Dataset().load(GOOD, format="csv").export("xlsx")

    preview = _post_import(client, workbook, "partners.xlsx", 1)
    assert preview.status_code == 200
    assert not Partner.objects.exists()
    form = preview.context["confirm_form"]
    confirmed = client.post(
        "/admin/partners/partner/process_import/",
        {**form.initial, "resource": form.initial.get("resource", "0")},
    )

    assert confirmed.status_code == 302
    assert set(Partner.objects.values_list("slug", flat=True)) == {"sky-one", "sky-two"}


@pytest.mark.django_db
def test_the_admin_exports_csv(client, setup):
    _import(GOOD, setup)
    client.force_login(setup)

    response = client.post(
        "/admin/partners/partner/export/",
        {
            "format": "0",
            "resource": "0",
            **{f"partnerresource_{c}": "on" for c in (*IMPORT_COLUMNS, "status")},
        },
    )

    assert response.status_code == 200
    body = response.content.decode()
    rows = list(tablib.Dataset().load(io.StringIO(body).read(), format="csv").dict)
    assert {row["slug"] for row in rows} == {"sky-one", "sky-two"}
    assert rows[0]["status"] == "draft"
