"""Staff import partner transaction files: every row checked, row-level errors, nothing written
unless all rows are valid, idempotent on a second import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from revenue.models import Transaction, TransactionImport
from revenue.services.imports import transaction_import_create, transaction_import_run

pytestmark = pytest.mark.django_db

HEADER = "external_id,scenario,product,kind,amount,currency,occurred_at,customer_id\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(maker, partner, content: bytes, name="transactions.csv", django_capture_on_commit_callbacks=None):
    with django_capture_on_commit_callbacks(execute=True):
        job = transaction_import_create(partner=partner, file=SimpleUploadedFile(name, content), actor=maker)
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


BAD_VALUES = [
    ("amount", "1e30", "Give an amount like 1234.50."),
    ("amount", "100000000000000.00", "The amount must be from 0.01 to 100,000,000.00."),
    ("amount", "1000000000000.00", "The amount must be from 0.01 to 100,000,000.00."),
    ("amount", "0.00", "The amount must be from 0.01 to 100,000,000.00."),
    ("amount", "NaN", "Give an amount like 1234.50."),
    ("amount", "1_000.00", "Give an amount like 1234.50."),
    ("amount", "١٠٠.٠٠", "Give an amount like 1234.50."),
    ("amount", "12.345", "Give an amount like 1234.50."),
    ("amount", "💥", "Give an amount like 1234.50."),
    ("occurred_at", "0001-01-01T00:00:00+08:00", "Give a time in ISO 8601, e.g. 2026-01-15T10:00:00+08:00."),
    ("occurred_at", "0001-01-01 00:00:00", "Give a time in ISO 8601, e.g. 2026-01-15T10:00:00+08:00."),
    ("occurred_at", "0001-01-01T00:00:00Z", "Give a time from 2000-01-01 on."),
    ("occurred_at", "9999-12-31T23:59:59-12:00", "Give a time in ISO 8601, e.g. 2026-01-15T10:00:00+08:00."),
    ("occurred_at", "yesterday", "Give a time in ISO 8601, e.g. 2026-01-15T10:00:00+08:00."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES, ids=[v for _f, v, _m in BAD_VALUES])
def test_every_bad_value_is_a_row_error_and_the_job_ends(
    maker, partner, joined, django_capture_on_commit_callbacks, field, value, message
):
    values = {"amount": "100.00", "occurred_at": "2026-01-15T10:00:00+08:00", field: value}
    content = csv_file([
        "a-1,travel-finance,trip-installment,sale,100.00,CNY,2026-01-15T10:00:00+08:00,",
        f"a-2,travel-finance,trip-installment,sale,{values['amount']},CNY,{values['occurred_at']},",
    ])  # fmt: skip

    job = upload(
        maker, partner, content, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )

    assert job.status == "failed"
    assert job.finished_at is not None
    assert job.errors == [{"row": 3, "field": field, "message": message}]
    assert Transaction.objects.count() == 0


def test_an_unexpected_failure_ends_the_job_failed_with_the_reason(
    maker, partner, joined, django_capture_on_commit_callbacks, settings
):
    content = csv_file(["a-1,travel-finance,trip-installment,sale,100.00,CNY,2026-01-15T10:00:00+08:00,"])
    with django_capture_on_commit_callbacks(execute=False):
        job = transaction_import_create(
            partner=partner, file=SimpleUploadedFile("t.csv", content), actor=maker
        )
    # The stored file is gone before the worker reads it.
    job.file.storage.delete(job.file.name)

    job = transaction_import_run(import_id=job.pk)

    assert job.status == "failed"
    assert job.finished_at is not None
    assert "The import stopped on an unexpected error (FileNotFoundError)" in job.errors[0]["message"]
    assert TransactionImport.objects.get(pk=job.pk).status == "failed"


def test_a_running_import_keeps_a_heartbeat(maker, partner, joined, django_capture_on_commit_callbacks):
    content = csv_file(["a-1,travel-finance,trip-installment,sale,100.00,CNY,2026-01-15T10:00:00+08:00,"])

    job = upload(
        maker, partner, content, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )

    assert job.heartbeat_at is not None
    assert job.heartbeat_at <= job.finished_at


def test_a_running_import_records_its_total_first_then_its_progress_as_it_goes(
    maker, partner, joined, django_capture_on_commit_callbacks
):
    """The page's bar and estimate need the total while the job runs, not only at its end."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    content = csv_file([
        f"p-{n},travel-finance,trip-installment,sale,1.00,CNY,2026-01-15T10:00:00+08:00," for n in range(2500)
    ])  # fmt: skip
    job = TransactionImport.objects.create(
        partner=partner, created_by=maker, file=SimpleUploadedFile("big.csv", content)
    )

    with CaptureQueriesContext(connection) as queries:
        transaction_import_run(import_id=job.pk)

    writes = [
        dict(re.findall(r'"(rows_total|rows_done)" = (\d+)', q["sql"]))
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "revenue_transactionimport"')
    ]
    # before any row is checked: the total; then every 1,000 rows checked; then all checked.
    assert writes[1:5] == [
        {"rows_total": "2500"},
        {"rows_done": "1000", "rows_total": "2500"},
        {"rows_done": "2000", "rows_total": "2500"},
        {"rows_done": "2500", "rows_total": "2500"},
    ]
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.created == 2500
    assert job.started_at is not None
    assert job.started_at <= job.heartbeat_at <= job.finished_at
