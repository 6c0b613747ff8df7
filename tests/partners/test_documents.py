"""KYB documents: upload checks, verification, the daily expiry sweep, and the selectors
the open API capability calls."""

from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from partners import services, tasks
from partners.exceptions import (
    DocumentRejected,
    DocumentsNotValid,
    PartnerInvalidTransition,
    PartnerNotActive,
)
from partners.models import Partner, PartnerDocument
from partners.selectors import (
    partner_document_gaps,
    partner_ensure_can_issue_api_keys,
    partner_required_documents_valid,
    partners_with_invalid_documents,
)
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

from .factories import JPEG, PDF, PNG, add_document, add_required_documents, make_reviewable, upload

D = PartnerDocument.Status
T = PartnerDocument.DocumentType


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "content_type", "extension"),
    [
        (PDF, "licence.pdf", "application/pdf", "pdf"),
        (PNG, "scan.png", "image/png", "png"),
        (JPEG, "photo.jpg", "image/jpeg", "jpg"),
        # The name lies; the content decides.
        (PNG, "scan.pdf", "image/png", "png"),
    ],
)
def test_it_accepts_pdf_jpeg_and_png_by_their_content(manager, acme, content, name, content_type, extension):
    document = services.document_upload(
        partner=acme, actor=manager, document_type=T.BUSINESS_LICENCE, upload=upload(content, name)
    )

    assert document.content_type == content_type
    assert document.file.name.endswith(f".{extension}")
    assert document.file.name.startswith(f"kyb/{acme.pk}/")
    assert document.original_name == name
    assert document.size == len(content)
    assert document.status == D.PENDING
    with document.file.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text, called a PDF", "licence.pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100, "licence.pdf"),  # a Windows program
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "licence.png"),  # an image, but not an accepted one
        (b"PK\x03\x04" + b"\x00" * 100, "licence.jpg"),  # a zip archive
        (b"<html><script>alert(1)</script></html>", "licence.png"),
    ],
)
def test_it_rejects_content_that_is_not_pdf_jpeg_or_png_whatever_its_name(manager, acme, content, name):
    with pytest.raises(DocumentRejected) as excinfo:
        services.document_upload(
            partner=acme, actor=manager, document_type=T.BUSINESS_LICENCE, upload=upload(content, name)
        )

    assert excinfo.value.field == "file"
    assert "PDF, JPEG and PNG" in excinfo.value.message
    assert not PartnerDocument.objects.exists()


@pytest.mark.django_db
def test_it_rejects_a_file_over_the_size_limit(manager, acme, settings):
    settings.PARTNER_DOCUMENT_MAX_BYTES = len(PDF) - 1

    with pytest.raises(DocumentRejected) as excinfo:
        services.document_upload(
            partner=acme, actor=manager, document_type=T.BUSINESS_LICENCE, upload=upload()
        )

    assert excinfo.value.field == "file"
    assert "largest allowed" in excinfo.value.message
    assert not PartnerDocument.objects.exists()


@pytest.mark.django_db
def test_a_file_exactly_at_the_limit_is_accepted(manager, acme, settings):
    settings.PARTNER_DOCUMENT_MAX_BYTES = len(PDF)

    services.document_upload(partner=acme, actor=manager, document_type=T.BUSINESS_LICENCE, upload=upload())

    assert PartnerDocument.objects.count() == 1


@pytest.mark.django_db
def test_it_rejects_an_empty_file_and_an_already_expired_document(manager, acme):
    with pytest.raises(DocumentRejected, match="empty"):
        services.document_upload(
            partner=acme, actor=manager, document_type=T.BUSINESS_LICENCE, upload=upload(b"")
        )
    with pytest.raises(DocumentRejected) as excinfo:
        services.document_upload(
            partner=acme,
            actor=manager,
            document_type=T.BUSINESS_LICENCE,
            upload=upload(),
            expires_on=date(2000, 1, 1),
        )
    assert excinfo.value.field == "expires_on"


@pytest.mark.django_db
def test_partner_owners_may_upload_but_developers_and_other_partners_may_not(acme, alice, bob, charlie):
    from partners.exceptions import PartnerNotAllowed

    services.document_upload(partner=acme, actor=alice, document_type=T.BUSINESS_LICENCE, upload=upload())
    for intruder in (bob, charlie):
        with pytest.raises(PartnerNotAllowed):
            services.document_upload(
                partner=acme, actor=intruder, document_type=T.BUSINESS_LICENCE, upload=upload()
            )


@pytest.mark.django_db
def test_verification_records_who_and_when_and_only_staff_may_verify(manager, acme, alice):
    from partners.exceptions import PartnerNotAllowed

    document = add_document(acme, manager, T.BUSINESS_LICENCE, verify=False)
    with pytest.raises(PartnerNotAllowed):
        services.document_verify(document=document, actor=alice)

    services.document_verify(document=document, actor=manager)

    document.refresh_from_db()
    assert document.status == D.VERIFIED
    assert document.verified_by == manager
    assert document.verified_at is not None
    assert document.history.first().history_user == manager


@pytest.mark.django_db
def test_a_rejected_document_needs_a_reason_and_cannot_be_verified_afterwards(manager, acme):
    document = add_document(acme, manager, T.BUSINESS_LICENCE, verify=False)
    with pytest.raises(DocumentRejected):
        services.document_reject(document=document, actor=manager, reason="")

    services.document_reject(document=document, actor=manager, reason="Illegible scan")

    document.refresh_from_db()
    assert (document.status, document.status_reason) == (D.REJECTED, "Illegible scan")
    with pytest.raises(PartnerInvalidTransition):
        services.document_verify(document=document, actor=manager)


# --------------------------------------------------------------------------------------
# A stored file is kept only with a committed row
# --------------------------------------------------------------------------------------
def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def assert_nothing_kept(settings) -> None:
    assert not PartnerDocument.objects.exists()
    assert stored_files(settings) == []


def upload_licence(partner: Partner, actor) -> PartnerDocument:
    return services.document_upload(
        partner=partner, actor=actor, document_type=T.BUSINESS_LICENCE, upload=upload()
    )


@pytest.mark.django_db(transaction=True)
def test_a_committed_upload_keeps_its_file(manager, acme, settings):
    document = upload_licence(acme, manager)

    assert stored_files(settings) == [document.file.name]
    assert PartnerDocument.objects.get().file.name == document.file.name


@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_row_cannot_be_saved_leaves_no_file(manager, acme, settings, monkeypatch):
    def fail(*args, **kwargs):
        raise IntegrityError("the row cannot be saved")

    monkeypatch.setattr(PartnerDocument, "save", fail)

    with pytest.raises(IntegrityError):
        upload_licence(acme, manager)

    assert_nothing_kept(settings)


@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_commit_fails_leaves_no_file(manager, settings):
    # The partner disappears before the commit: the foreign key, checked at commit, fails.
    gone = PartnerFactory(slug="gone")
    Partner.objects.filter(pk=gone.pk).delete()

    with pytest.raises(IntegrityError):
        upload_licence(gone, manager)

    assert_nothing_kept(settings)


def upload_then_fail(partner: Partner, actor) -> None:
    """A caller whose transaction stores a document, then fails at a later step."""
    with transaction.atomic():
        upload_licence(partner, actor)
        raise RuntimeError("a later step of the caller failed")


@pytest.mark.django_db(transaction=True)
def test_an_upload_inside_a_caller_transaction_that_fails_leaves_no_file(manager, acme, settings):
    with pytest.raises(RuntimeError):
        upload_then_fail(acme, manager)

    assert_nothing_kept(settings)


@pytest.mark.django_db(transaction=True)
def test_an_upload_inside_a_caller_transaction_marked_for_rollback_leaves_no_file(manager, acme, settings):
    with transaction.atomic():
        document = upload_licence(acme, manager)
        # Readable until the end of the transaction.
        assert stored_files(settings) == [document.file.name]
        transaction.set_rollback(True)

    assert_nothing_kept(settings)


@pytest.mark.django_db(transaction=True)
def test_only_the_upload_of_a_savepoint_that_rolls_back_loses_its_file(manager, acme, settings):
    with transaction.atomic():
        kept = upload_licence(acme, manager)
        with pytest.raises(RuntimeError):
            upload_then_fail(acme, manager)

    assert list(PartnerDocument.objects.values_list("file", flat=True)) == [kept.file.name]
    assert stored_files(settings) == [kept.file.name]


@pytest.mark.django_db(transaction=True)
def test_a_replacement_that_rolls_back_leaves_the_previous_document_and_its_file(manager, acme, settings):
    previous = upload_licence(acme, manager)

    with transaction.atomic():
        upload_licence(acme, manager)
        transaction.set_rollback(True)

    assert list(PartnerDocument.objects.values_list("pk", flat=True)) == [previous.pk]
    assert stored_files(settings) == [previous.file.name]

    replacement = upload_licence(acme, manager)

    assert stored_files(settings) == sorted([previous.file.name, replacement.file.name])


@pytest.mark.django_db
def test_an_upload_is_kept_when_its_commit_callbacks_run(
    manager, acme, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        document = upload_licence(acme, manager)

    with document.file.open("rb") as stored:
        assert stored.read() == PDF


# --------------------------------------------------------------------------------------
# The daily sweep
# --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_sweep_marks_expired_documents_and_flags_those_expiring_within_30_days(
    manager, acme, django_capture_on_commit_callbacks
):
    today = date(2026, 12, 1)
    MembershipFactory(partner=acme, user=UserFactory(email="owner@acme.test"), role="owner")
    with time_machine.travel(date(2026, 11, 1)):
        expired = add_document(acme, manager, T.BUSINESS_LICENCE, expires_on=date(2026, 11, 30))
        soon = add_document(acme, manager, T.AUTHORISATION_LETTER, expires_on=today + timedelta(days=30))
        later = add_document(acme, manager, T.COOPERATION_AGREEMENT, expires_on=today + timedelta(days=31))
        no_limit = add_document(acme, manager, T.OTHER)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.document_expiry_sweep(today=today)

    assert (result.expired, result.flagged, result.partners_notified) == (1, 1, 1)
    for document in (expired, soon, later, no_limit):
        document.refresh_from_db()
    assert expired.status == D.EXPIRED
    assert expired.history.first().history_change_reason == "expired"
    assert soon.expiry_flagged_at is not None
    assert soon.status == D.VERIFIED
    assert later.expiry_flagged_at is None
    assert no_limit.expiry_flagged_at is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {"owner@acme.test", "ops@acme.test"}
    assert "Authorisation letter" in message.body
    assert "授权书" in message.body


@pytest.mark.django_db
def test_the_sweep_run_twice_changes_nothing_the_second_time(
    manager, acme, django_capture_on_commit_callbacks
):
    today = date(2026, 12, 1)
    with time_machine.travel(date(2026, 11, 1)):
        add_document(acme, manager, T.BUSINESS_LICENCE, expires_on=date(2026, 11, 30))
        add_document(acme, manager, T.AUTHORISATION_LETTER, expires_on=today + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        services.document_expiry_sweep(today=today)

    with django_capture_on_commit_callbacks(execute=True):
        again = services.document_expiry_sweep(today=today)

    assert (again.expired, again.flagged, again.partners_notified) == (0, 0, 0)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_document_already_renewed_is_not_flagged(manager, acme):
    today = date(2026, 12, 1)
    with time_machine.travel(date(2026, 11, 1)):
        old = add_document(acme, manager, T.BUSINESS_LICENCE, expires_on=today + timedelta(days=5))
        add_document(acme, manager, T.BUSINESS_LICENCE, expires_on=today + timedelta(days=400))

    result = services.document_expiry_sweep(today=today)

    old.refresh_from_db()
    assert result.flagged == 0
    assert old.expiry_flagged_at is None


@pytest.mark.django_db
def test_the_scheduled_task_calls_the_sweep_and_is_in_the_beat_schedule(manager, acme, settings):
    add_document(acme, manager, T.BUSINESS_LICENCE)
    PartnerDocument.objects.update(expires_on=date(2000, 1, 1))

    assert tasks.document_expiry_sweep.delay().get() == {"expired": 1, "flagged": 0, "partners_notified": 0}
    entry = settings.CELERY_BEAT_SCHEDULE["partners-document-expiry-sweep"]
    assert entry["task"] == "partners.tasks.document_expiry_sweep"


# --------------------------------------------------------------------------------------
# What the open API capability calls
# --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_required_documents_are_valid_only_when_all_are_verified_and_unexpired(manager, acme):
    assert not partner_required_documents_valid(partner=acme)
    add_required_documents(acme, manager, expires_on=date(2027, 6, 30))

    assert partner_required_documents_valid(partner=acme, on=date(2027, 6, 30))
    assert not partner_required_documents_valid(partner=acme, on=date(2027, 7, 1))
    assert set(partner_document_gaps(partner=acme, on=date(2027, 7, 1))) == set(
        PartnerDocument.REQUIRED_TYPES
    )


@pytest.mark.django_db
def test_a_partner_with_an_expired_required_document_cannot_get_new_api_keys(manager):
    partner = make_reviewable(actor=manager, status=Partner.Status.ACTIVE)
    partner_ensure_can_issue_api_keys(partner=partner)

    partner.documents.filter(document_type=T.AUTHORISATION_LETTER).update(status=D.EXPIRED)

    with pytest.raises(DocumentsNotValid, match="Authorisation letter"):
        partner_ensure_can_issue_api_keys(partner=partner)
    assert list(partners_with_invalid_documents()) == [partner]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in Partner.Status.values if s != "active"])
def test_only_an_active_partner_can_get_api_keys(manager, status):
    partner = make_reviewable(actor=manager, status=status)

    with pytest.raises(PartnerNotActive):
        partner_ensure_can_issue_api_keys(partner=partner)


@pytest.mark.django_db
def test_the_invalid_documents_selector_is_one_query(manager, django_assert_num_queries):
    for n in range(3):
        make_reviewable(
            actor=manager, status=Partner.Status.ACTIVE, slug=f"p{n}", credit_code_verified_by=manager
        )

    with django_assert_num_queries(1):
        assert list(partners_with_invalid_documents()) == []


@pytest.mark.django_db
def test_the_sweep_drops_the_cached_document_check_of_partners_whose_documents_expired(
    manager, acme, django_capture_on_commit_callbacks
):
    from partners.keycache import keycache_start, partner_record

    with time_machine.travel(date(2026, 11, 1)):
        add_document(acme, manager, T.BUSINESS_LICENCE, expires_on=date(2026, 11, 30))
    records = keycache_start()
    partner_record(acme.pk)
    assert records.partner(acme.pk) is not None  # cached now

    with django_capture_on_commit_callbacks(execute=True):
        services.document_expiry_sweep(today=date(2026, 12, 1))

    assert records.partner(acme.pk) is None
