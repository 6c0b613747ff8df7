"""Import files take the same optional ``offer_id`` column as the API, with the same checks;
errors name the row and the column."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from revenue.models import Transaction
from revenue.services.imports import transaction_import_create

from .factories import offer_logged

pytestmark = pytest.mark.django_db

HEADER = "external_id,scenario,product,kind,amount,currency,occurred_at,refund_of,offer_id\n"
SOLD = "2026-03-20T12:00:00+08:00"
OFFER = "ofr_4mB0x9TqLr2VbZ7nWc1sEA"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


def sold(delta: timedelta = timedelta(0)) -> datetime:
    return datetime.fromisoformat(SOLD) + delta


def imported(maker, partner, rows: list[str], capture):
    content = (HEADER + "\n".join(rows) + "\n").encode()
    with capture(execute=True):
        job = transaction_import_create(
            partner=partner, file=SimpleUploadedFile("t.csv", content), actor=maker
        )
    job.refresh_from_db()
    return job


def test_a_file_names_offers_and_refunds_carry_them(
    maker, partner, agreement, django_capture_on_commit_callbacks
):
    quoted = sold(-timedelta(days=4))
    offer_logged(partner, offer_id=OFFER, quoted_at=quoted)

    job = imported(maker, partner, [
        f"a-1,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,{OFFER}",
        f"a-2,travel-finance,trip-installment,refund,10.00,CNY,{SOLD},a-1,",
        f"a-3,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,",
    ], django_capture_on_commit_callbacks)  # fmt: skip

    assert (job.status, job.created) == ("succeeded", 3), job.errors
    stored = {t.external_id: (t.offer_id, t.offer_quoted_at) for t in Transaction.objects.all()}
    assert stored == {"a-1": (OFFER, quoted), "a-2": (OFFER, quoted), "a-3": ("", None)}


def test_a_file_without_the_offer_column_imports_as_before(
    maker, partner, agreement, django_capture_on_commit_callbacks
):
    content = (
        "external_id,scenario,product,kind,amount,currency,occurred_at\n"
        f"a-1,travel-finance,trip-installment,sale,100.00,CNY,{SOLD}\n"
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        job = transaction_import_create(
            partner=partner, file=SimpleUploadedFile("t.csv", content), actor=maker
        )
    job.refresh_from_db()

    assert job.status == "succeeded"
    assert Transaction.objects.get().offer_id == ""


def test_every_offer_the_partner_may_not_take_is_a_row_error_naming_the_column(
    maker, partner, other_partner, agreement, django_capture_on_commit_callbacks
):
    offer_logged(other_partner, offer_id="ofr_theirs_000000000", quoted_at=sold(-timedelta(days=1)))
    offer_logged(partner, offer_id="ofr_tryout_000000000", quoted_at=sold(-timedelta(days=1)), tryout=True)
    offer_logged(partner, offer_id="ofr_old_000000000000", quoted_at=sold(-timedelta(days=30, seconds=1)))
    offer_logged(
        partner, offer_id="ofr_cover_0000000000", product="trip-cover", quoted_at=sold(-timedelta(days=1))
    )
    offer_logged(partner, offer_id=OFFER, quoted_at=sold(-timedelta(days=30)))

    job = imported(maker, partner, [
        f"a-1,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,{OFFER}",
        f"a-2,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,ofr_unknown_00000000",
        f"a-3,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,ofr_theirs_000000000",
        f"a-4,travel-finance,trip-installment,sale,-1,CNY,{SOLD},,{OFFER}",
        f"a-5,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,ofr_tryout_000000000",
        f"a-6,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,ofr_old_000000000000",
        f"a-7,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,ofr_cover_0000000000",
        f"a-8,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,{'x' * 41}",
    ], django_capture_on_commit_callbacks)  # fmt: skip

    assert job.status == "failed"
    unknown = "No offer “%s” was quoted to you in the 30 days up to this transaction."
    assert job.errors == [
        {"row": 3, "field": "offer_id", "message": unknown % "ofr_unknown_00000000"},
        {"row": 4, "field": "offer_id", "message": unknown % "ofr_theirs_000000000"},
        {"row": 5, "field": "amount", "message": "Give an amount like 1234.50."},
        {"row": 6, "field": "offer_id", "message": unknown % "ofr_tryout_000000000"},
        {"row": 7, "field": "offer_id", "message": unknown % "ofr_old_000000000000"},
        {"row": 8, "field": "offer_id", "message": "The offer “ofr_cover_0000000000” was for another product (trip-cover)."},
        {"row": 9, "field": "offer_id", "message": "At most 40 characters."},
    ]  # fmt: skip
    assert not Transaction.objects.exists()


def test_a_refund_naming_another_offer_than_its_sales_is_a_row_error(
    maker, partner, agreement, django_capture_on_commit_callbacks
):
    offer_logged(partner, offer_id=OFFER, quoted_at=sold(-timedelta(days=1)))

    job = imported(maker, partner, [
        f"a-1,travel-finance,trip-installment,sale,100.00,CNY,{SOLD},,",
        f"a-2,travel-finance,trip-installment,refund,10.00,CNY,{SOLD},a-1,{OFFER}",
    ], django_capture_on_commit_callbacks)  # fmt: skip

    assert job.status == "failed"
    assert [(e["row"], e["field"]) for e in job.errors] == [(3, "offer_id")]
    assert not Transaction.objects.exists()
