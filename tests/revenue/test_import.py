"""Staff import partner transaction files: every row checked, row-level errors, nothing written
unless all rows are valid, idempotent on a second import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from revenue.models import Transaction, TransactionImport
from revenue.services.imports import transaction_import_create

pytestmark = pytest.mark.django_db

HEADER = "external_id,scenario,product,kind,amount,currency,occurred_at,customer_id\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(maker, partner, content: bytes, name="transactions.csv", django_capture_on_commit_callbacks=None):
    with django_capture_on_commit_callbacks(execute=True):
        job = transaction_import_create(partner=partner, file=SimpleUploadedFile(name, content), by=maker)
    job.refresh_from_db()
    return job


def csv_file(rows: list[str]) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_a_valid_file_is_imported_through_the_task(
    maker, partner, joined, django_capture_on_commit_callbacks
):
    content = csv_file([
        "a-1,travel-finance,trip-installment,sale,100.00,CNY,2026-01-15T10:00:00+08:00,cust-1",
        "a-2,travel-finance,trip-cover,sale,5.5,,2026-01-16 09:00:00,",
    ])  # fmt: skip

    job = upload(
        maker, partner, content, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )

    assert (job.status, job.created, job.rows_total, job.progress) == ("succeeded", 2, 2, 100)
    assert set(Transaction.objects.values_list("external_id", "source")) == {
        ("a-1", "import"),
        ("a-2", "import"),
    }
    assert Transaction.objects.get(external_id="a-2").occurred_at.isoformat() == "2026-01-16T01:00:00+00:00"


def test_one_bad_row_refuses_the_file_with_row_level_errors(
    maker, partner, joined, django_capture_on_commit_callbacks
):
    content = csv_file([
        "a-1,travel-finance,trip-installment,sale,100.00,CNY,2026-01-15T10:00:00+08:00,",
        "a-2,travel-finance,trip-installment,sale,-3,CNY,2026-01-15T10:00:00+08:00,",
        "a-3,travel-finance,unknown,sale,1.00,CNY,2026-01-15T10:00:00+08:00,",
        "a-1,travel-finance,trip-installment,sale,100.00,CNY,2026-01-15T10:00:00+08:00,",
    ])  # fmt: skip

    job = upload(
        maker, partner, content, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )

    assert job.status == "failed"
    assert [(e["row"], e["field"]) for e in job.errors] == [(3, "amount"), (4, "product"), (5, "external_id")]
    assert Transaction.objects.count() == 0


def test_a_second_import_of_the_same_file_creates_nothing(
    maker, partner, joined, django_capture_on_commit_callbacks
):
    content = csv_file(["a-1,travel-finance,trip-installment,sale,100.00,CNY,2026-01-15T10:00:00+08:00,"])
    upload(maker, partner, content, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)

    again = upload(
        maker, partner, content, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )

    assert (again.status, again.created, again.duplicates) == ("succeeded", 0, 1)
    assert Transaction.objects.count() == 1


def test_xlsx_files_are_imported_too(maker, partner, joined, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(
        ["x-1", "travel-finance", "trip-installment", "sale", 12.5, "CNY", "2026-01-15T10:00:00+08:00", None]
    )
    buffer = io.BytesIO()
    book.save(buffer)

    job = upload(maker, partner, buffer.getvalue(), name="t.xlsx",
                 django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)  # fmt: skip

    assert job.status == "succeeded"
    assert str(Transaction.objects.get().amount) == "12.50"


def test_a_file_without_the_columns_is_refused(maker, partner, joined, django_capture_on_commit_callbacks):
    job = upload(
        maker,
        partner,
        b"id,amount\n1,2\n",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    assert job.status == TransactionImport.Status.FAILED
    assert "Missing columns" in job.errors[0]["message"]
