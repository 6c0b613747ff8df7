"""KYB documents: upload (content sniffed), verification by staff, the daily expiry sweep."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_update_with_history

from core.transitions import transition
from core.uploads import PAPER_CONTENT_TYPES, keep_file_on_commit, sniff_content_type

from ..exceptions import DocumentRejected, PartnerInvalidTransition, PartnerNotAllowed
from ..keycache import partner_forget
from ..mail import send_bilingual
from ..models import Membership, Partner, PartnerDocument
from ..notifications import notify
from ..selectors import business_today
from ._access import require_staff_perm, require_staff_perm_or_role

logger = logging.getLogger(__name__)

D = PartnerDocument.Status

# The content types a KYB document may have, by what its bytes are (never by its name).
ALLOWED_CONTENT_TYPES = PAPER_CONTENT_TYPES

DOCUMENT_MOVES: dict[str, frozenset[str]] = {
    D.PENDING: frozenset({D.VERIFIED, D.REJECTED, D.EXPIRED}),
    D.VERIFIED: frozenset({D.REJECTED, D.EXPIRED}),
    D.REJECTED: frozenset(),
    D.EXPIRED: frozenset(),
}


def document_upload(
    *,
    partner: Partner,
    actor,
    document_type: str,
    upload: File,
    expires_on: date | None = None,
) -> PartnerDocument:
    """Store a KYB file after checking its size and what its content really is.

    The file is written before its row (the row stores the name the storage chose) and is kept
    only if that row is committed: when the transaction rolls back, the file is deleted. The
    transaction may be this function's own atomic block or any block of the caller around
    it, so a ``try/except`` here would miss a caller's rollback, and Django has no rollback
    hook. It does discard the ``on_commit`` callbacks of a transaction (or savepoint) that
    rolls back, so ``core.uploads.keep_file_on_commit`` registers one that marks the file kept and deletes
    the file when the callback is discarded uncalled. Nothing else deletes a document's
    file: a new upload of the same type adds a row and leaves the earlier one (and its file)
    as it was, so a replacement can never lose the previous file before it is committed.
    """
    require_staff_perm_or_role(actor, partner, "partners.add_partnerdocument", ("owner", "admin"))
    if partner.is_closed:
        raise PartnerNotAllowed(_("This partner is closed: no documents can be added."))
    if document_type not in PartnerDocument.DocumentType.values:
        raise DocumentRejected(_("Choose a document type."), field="document_type")
    limit = settings.PARTNER_DOCUMENT_MAX_BYTES
    size = upload.size or 0
    if size == 0:
        raise DocumentRejected(_("The file is empty."), field="file")
    if size > limit:
        raise DocumentRejected(
            _("The file is %(size)s; the largest allowed is %(limit)s.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            field="file",
        )
    content_type = sniff_content_type(upload)
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise DocumentRejected(
            _("Only PDF, JPEG and PNG files are accepted; the content of this file is not one of them."),
            field="file",
        )
    if expires_on is not None and expires_on < business_today():
        raise DocumentRejected(_("This document has already expired."), field="expires_on")

    original_name = (getattr(upload, "name", "") or "document").rsplit("/", 1)[-1][:200]
    document = PartnerDocument(
        partner=partner,
        document_type=document_type,
        original_name=original_name,
        content_type=content_type,
        size=size,
        expires_on=expires_on,
        uploaded_by=actor,
    )
    document._history_user = actor
    with transaction.atomic():
        # The stored name takes the extension of the sniffed type, never the uploaded name's.
        document.file.save(f"document.{ALLOWED_CONTENT_TYPES[content_type]}", upload, save=False)
        keep_file_on_commit(document.file.storage, document.file.name)
        document.save()
    logger.info("document %s (%s) uploaded for partner %s", document.pk, document_type, partner.slug)
    return document


def document_upload_bytes(
    *, partner: Partner, actor, document_type: str, content: bytes, name: str, expires_on: date | None = None
) -> PartnerDocument:
    """``document_upload`` for bytes made by the program (demo data, tests)."""
    return document_upload(
        partner=partner,
        actor=actor,
        document_type=document_type,
        upload=ContentFile(content, name=name),
        expires_on=expires_on,
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _document_move(*, document: PartnerDocument, to: str, actor, reason: str = "") -> PartnerDocument:
    with transaction.atomic():
        locked = PartnerDocument.objects.select_for_update().get(pk=document.pk)
        changes = {"status_reason": reason}
        if to == D.VERIFIED:
            changes.update(verified_by=actor, verified_at=timezone.now())
        # No change table: the history row of the document is its change row — who
        # (history_user), when, from, to and why (history_change_reason).
        transition(
            locked,
            to,
            moves=DOCUMENT_MOVES,
            actor=actor,
            reason=reason,
            change_model=None,
            error=PartnerInvalidTransition,
            changes=changes,
        )
        # API key authentication caches the partner's document check: recheck on the next call.
        transaction.on_commit(lambda: partner_forget(locked.partner_id))
    for name in ("status", "status_reason", "verified_by", "verified_at"):
        setattr(document, name, getattr(locked, name))
    return document


def document_verify(*, document: PartnerDocument, actor) -> PartnerDocument:
    """Staff checked the document against the original."""
    require_staff_perm(actor, "partners.verify_partnerdocument")
    if document.expires_on is not None and document.expires_on < business_today():
        raise PartnerInvalidTransition(_("This document has expired and cannot be verified."))
    return _document_move(document=document, to=D.VERIFIED, actor=actor)


def document_reject(*, document: PartnerDocument, actor, reason: str) -> PartnerDocument:
    """Staff refused the document (illegible, wrong company, forged…); the reason is kept."""
    require_staff_perm(actor, "partners.verify_partnerdocument")
    if not (reason or "").strip():
        raise DocumentRejected(_("Give a reason for this change."), field="reason")
    return _document_move(document=document, to=D.REJECTED, actor=actor, reason=reason.strip())


# --------------------------------------------------------------------------------------
# The daily sweep
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExpirySweep:
    expired: int
    flagged: int
    partners_notified: int

    def __str__(self) -> str:
        return f"{self.expired} documents expired, {self.flagged} flagged, {self.partners_notified} partners notified"


def document_expiry_sweep(*, today: date | None = None) -> ExpirySweep:
    """Mark documents past their expiry date as expired, and flag (once) verified documents
    expiring within the warning window, telling each partner's owners and admins and its
    relationship manager. Runs daily; running it twice a day changes nothing."""
    today = today or business_today()
    window_end = today + timedelta(days=settings.PARTNER_DOCUMENT_EXPIRY_WARNING_DAYS)
    now = timezone.now()

    with transaction.atomic():
        expired = list(
            PartnerDocument.objects.select_for_update()
            .filter(expires_on__lt=today, status__in=[D.PENDING, D.VERIFIED])
            .order_by("pk")
        )
        for document in expired:
            document.status = D.EXPIRED
            document.status_reason = f"expired on {document.expires_on.isoformat()}"
        bulk_update_with_history(
            expired,
            PartnerDocument,
            ["status", "status_reason"],
            default_change_reason=gettext_noop("expired"),
        )
        # The open API caches each partner's document check: recheck on the next call.
        expired_partners = {document.partner_id for document in expired}
        transaction.on_commit(lambda: partner_forget(*expired_partners))

        # A document already replaced by one valid past the window needs no warning.
        renewed = PartnerDocument.objects.filter(
            partner=OuterRef("partner"), document_type=OuterRef("document_type"), status=D.VERIFIED
        ).filter(Q(expires_on__isnull=True) | Q(expires_on__gt=window_end))
        expiring = list(
            PartnerDocument.objects.select_for_update()
            .filter(
                status=D.VERIFIED,
                expiry_flagged_at__isnull=True,
                expires_on__gte=today,
                expires_on__lte=window_end,
            )
            .filter(~Exists(renewed))
            .order_by("pk")
        )
        for document in expiring:
            document.expiry_flagged_at = now
        bulk_update_with_history(
            expiring,
            PartnerDocument,
            ["expiry_flagged_at"],
            default_change_reason=gettext_noop("expiring soon"),
        )
        notified = _notify_expiring(expiring)
    result = ExpirySweep(expired=len(expired), flagged=len(expiring), partners_notified=notified)
    logger.info("document expiry sweep for %s: %s", today.isoformat(), result)
    return result


def _notify_expiring(documents: list[PartnerDocument]) -> int:
    """A notification per document to the partner's owners and admins, and one e-mail per
    partner, after commit, to them, its contact and its relationship manager."""
    by_partner: dict[int, list[PartnerDocument]] = {}
    for document in documents:
        by_partner.setdefault(document.partner_id, []).append(document)
    if not by_partner:
        return 0
    partners = Partner.objects.select_related("relationship_manager").in_bulk(list(by_partner))
    recipients: dict[int, set[str]] = {pk: set() for pk in by_partner}
    for partner_id, email in Membership.objects.filter(
        partner_id__in=list(by_partner), role__in=Membership.TEAM_MANAGER_ROLES, user__is_active=True
    ).values_list("partner_id", "user__email"):
        recipients[partner_id].add(email)
    messages = []
    for partner_id, docs in by_partner.items():
        partner = partners[partner_id]
        for document in docs:
            notify(
                kind="document.expiring",
                partner=partner,
                target=document,
                params={
                    "document": document.document_type,
                    "expires": document.expires_on.isoformat(),
                },
            )
        to = set(recipients[partner_id])
        if partner.relationship_manager and partner.relationship_manager.is_active:
            to.add(partner.relationship_manager.email)
        if partner.contact_email:
            to.add(partner.contact_email)
        if to:
            messages.append((partner, docs, sorted(to)))

    def send() -> None:
        for partner, docs, to in messages:
            send_bilingual(
                template="documents_expiring",
                context={"partner": partner, "documents": docs, "site_url": settings.SITE_URL},
                to=to,
            )

    transaction.on_commit(send)
    return len(messages)
