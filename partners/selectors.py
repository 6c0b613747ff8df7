"""Reads of the partners app that pages, the admin, the API and services share.

Partner data is always reached through a function that takes the partner.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.four_eyes import makers_add
from core.secrets import fernet

from .deprecations import Deprecation, api_deprecations
from .exceptions import DocumentsNotValid, InvitationInvalid, PartnerNotActive
from .models import (
    ApiDeprecationUsage,
    Invitation,
    Membership,
    Notification,
    NotificationPreference,
    Partner,
    PartnerAPIKey,
    PartnerDocument,
    PartnerStatusChange,
)
from .notifications import KINDS

# The label of the sandbox keys' encryption (``core.secrets.fernet``): no other secret opens.
SANDBOX_KEY_LABEL = b"finance-n sandbox api keys"


def sandbox_key_for_docs(*, partner: Partner) -> str | None:
    """The partner's newest usable sandbox key in full, for the API docs' examples shown to its
    signed-in members; None when it has none. Live keys are never kept and never shown again."""
    secret = (
        PartnerAPIKey.objects.filter(
            partner=partner, sandbox=True, revoked=False, expiry_date__gt=timezone.now()
        )
        .exclude(sandbox_secret="")
        .order_by("-created")
        .values_list("sandbox_secret", flat=True)
        .first()
    )
    return fernet(SANDBOX_KEY_LABEL).decrypt(secret.encode()).decode() if secret else None


def business_today() -> date:
    """Today in Asia/Shanghai, the business calendar."""
    return timezone.localdate()


# --------------------------------------------------------------------------------------
# KYB documents
# --------------------------------------------------------------------------------------
def _valid_documents(*, on: date) -> Q:
    return Q(status=PartnerDocument.Status.VERIFIED) & (Q(expires_on__isnull=True) | Q(expires_on__gte=on))


def partner_document_gaps(*, partner: Partner, on: date | None = None) -> list[str]:
    """Required document types without a verified, unexpired document on ``on``. One query."""
    on = on or business_today()
    present = set(
        PartnerDocument.objects.filter(
            _valid_documents(on=on), partner=partner, document_type__in=PartnerDocument.REQUIRED_TYPES
        )
        .values_list("document_type", flat=True)
        .distinct()
    )
    return [t for t in PartnerDocument.REQUIRED_TYPES if t not in present]


def partner_required_documents_valid(*, partner: Partner, on: date | None = None) -> bool:
    """Every required KYB document is verified and unexpired. The open API capability calls
    this before it issues a key, and for existing keys."""
    return not partner_document_gaps(partner=partner, on=on)


def partner_ensure_can_issue_api_keys(*, partner: Partner) -> None:
    """Raise unless the partner may get a new API key: active, with its required documents
    valid. The message says what is wrong."""
    if not partner.accepts_api_traffic:
        raise PartnerNotActive(
            _("%(partner)s is %(status)s: API keys are issued to active partners only.")
            % {"partner": partner, "status": partner.get_status_display().lower()}
        )
    gaps = partner_document_gaps(partner=partner)
    if gaps:
        raise DocumentsNotValid(
            _("A required document is missing, unverified or expired: %(documents)s.")
            % {"documents": ", ".join(str(PartnerDocument.DocumentType(t).label) for t in gaps)}
        )


def partner_ensure_can_issue_sandbox_keys(*, partner: Partner) -> None:
    """Raise unless the partner may get a new sandbox key: its application is submitted, under
    review, approved or it is active (``Partner.SANDBOX_STATUSES``). Documents are not asked
    for: a partner under review has none verified yet, and a sandbox key moves no money."""
    if not partner.accepts_sandbox_traffic:
        raise PartnerNotActive(
            _(
                "%(partner)s is %(status)s: sandbox keys are issued from the moment the application "
                "is submitted, while it is reviewed, approved or active."
            )
            % {"partner": partner, "status": partner.get_status_display().lower()}
        )


def partner_usable_sandbox_keys(*, partner: Partner) -> int:
    """How many sandbox keys of ``partner`` are usable now (neither revoked nor expired); a key
    in its rotation overlap counts as its replacement (one key, two secrets for a while)."""
    return PartnerAPIKey.objects.filter(
        partner=partner, sandbox=True, revoked=False, rotated_at__isnull=True, expiry_date__gt=timezone.now()
    ).count()


def partners_with_invalid_documents(*, on: date | None = None) -> QuerySet[Partner]:
    """Active partners with a required document missing, unverified or expired: one query
    (a NOT EXISTS per required type)."""
    on = on or business_today()
    missing_any = Q()
    for document_type in PartnerDocument.REQUIRED_TYPES:
        valid = PartnerDocument.objects.filter(
            _valid_documents(on=on), partner=OuterRef("pk"), document_type=document_type
        )
        missing_any |= Q(~Exists(valid))
    return Partner.objects.filter(missing_any, status=Partner.Status.ACTIVE)


def partner_documents(*, partner: Partner) -> QuerySet[PartnerDocument]:
    return PartnerDocument.objects.filter(partner=partner).select_related("verified_by", "uploaded_by")


# Who of a partner's team may open its KYB files (they hold the legal representative's ID):
# the owners and admins, who also manage the application.
DOCUMENT_READER_ROLES = frozenset({Membership.Role.OWNER, Membership.Role.ADMIN})


def document_for_member(*, user, document_id: int) -> PartnerDocument:
    """A KYB document of a partner where ``user`` is an owner or admin (not a terminated one).
    ``PartnerDocument.DoesNotExist`` for anyone else: another partner's document is not found."""
    return (
        PartnerDocument.objects.filter(
            Exists(
                Membership.objects.filter(
                    partner=OuterRef("partner"), user=user, role__in=DOCUMENT_READER_ROLES
                )
            )
        )
        .exclude(partner__status=Partner.Status.TERMINATED)
        .get(pk=document_id)
    )


# --------------------------------------------------------------------------------------
# Review checklist
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewChecklist:
    documents_verified: bool
    credit_code_verified: bool
    risk_rating_set: bool
    relationship_manager_assigned: bool
    missing_documents: list[str] = field(default_factory=list)

    LABELS = {
        "documents_verified": _("documents verified"),
        "credit_code_verified": _("credit code verified"),
        "risk_rating_set": _("risk rating set"),
        "relationship_manager_assigned": _("relationship manager assigned"),
    }

    @property
    def items(self) -> list[tuple[str, bool]]:
        return [(str(label), getattr(self, name)) for name, label in self.LABELS.items()]

    @property
    def missing(self) -> list[str]:
        return [label for label, done in self.items if not done]

    @property
    def complete(self) -> bool:
        return not self.missing


def partner_review_checklist(*, partner: Partner) -> ReviewChecklist:
    """What approval needs. One query (the documents)."""
    gaps = partner_document_gaps(partner=partner)
    return ReviewChecklist(
        documents_verified=not gaps,
        credit_code_verified=partner.credit_code_verified_at is not None,
        risk_rating_set=bool(partner.risk_rating),
        relationship_manager_assigned=partner.relationship_manager_id is not None,
        missing_documents=gaps,
    )


def partner_application_gaps(*, partner: Partner) -> list[str]:
    """What an application lacks before it can be submitted: contact details and an upload
    (pending or verified) of every required document type. One query."""
    gaps: list[str] = []
    if not partner.contact_name:
        gaps.append(str(_("contact name")))
    if not partner.contact_email:
        gaps.append(str(_("contact e-mail")))
    uploaded = set(
        PartnerDocument.objects.filter(
            partner=partner,
            document_type__in=PartnerDocument.REQUIRED_TYPES,
            status__in=[PartnerDocument.Status.PENDING, PartnerDocument.Status.VERIFIED],
        )
        .values_list("document_type", flat=True)
        .distinct()
    )
    gaps += [
        str(PartnerDocument.DocumentType(t).label)
        for t in PartnerDocument.REQUIRED_TYPES
        if t not in uploaded
    ]
    return gaps


def partner_makers(*, partners) -> dict[int, dict[int, list[str]]]:
    """Who made each application, per partner id: whoever submitted it and started its review
    (the latest round), verified any of its documents or verified its credit code. None of them
    approves it (``core.four_eyes``). Two queries, whatever the number of partners."""
    partners = list(partners)
    ids = [partner.pk for partner in partners]
    makers: dict[int, dict[int, list[str]]] = {pk: {} for pk in ids}
    parts = {
        Partner.Status.SUBMITTED: _("submitted it"),
        Partner.Status.UNDER_REVIEW: _("started its review"),
    }
    latest: dict[tuple[int, str], int | None] = {}
    for partner_id, to_status, user_id in (
        PartnerStatusChange.objects.filter(partner_id__in=ids, to_status__in=list(parts))
        .order_by("changed_at", "id")
        .values_list("partner_id", "to_status", "changed_by_id")
    ):
        latest[(partner_id, to_status)] = user_id
    for (partner_id, to_status), user_id in latest.items():
        makers_add(makers[partner_id], user_id, str(parts[to_status]))
    for partner_id, user_id in (
        PartnerDocument.objects.filter(partner_id__in=ids, verified_by__isnull=False)
        .order_by()
        .values_list("partner_id", "verified_by_id")
        .distinct()
    ):
        makers_add(makers[partner_id], user_id, str(_("verified one of its documents")))
    for partner in partners:
        makers_add(makers[partner.pk], partner.credit_code_verified_by_id, str(_("verified its credit code")))
    return makers


# --------------------------------------------------------------------------------------
# Team
# --------------------------------------------------------------------------------------
def partner_members(*, partner: Partner) -> QuerySet[Membership]:
    return Membership.objects.filter(partner=partner).select_related("user").order_by("role", "user__email")


def partner_owner_count(*, partner: Partner) -> int:
    return Membership.objects.filter(partner=partner, role=Membership.Role.OWNER).count()


def user_partners(*, user) -> QuerySet[Partner]:
    """The partners a user belongs to (closed ones excluded)."""
    return (
        Partner.objects.filter(memberships__user=user)
        .exclude(status=Partner.Status.TERMINATED)
        .select_related("industry")
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_by_token(*, token: str) -> Invitation | None:
    """The invitation for a link's token (looked up by its hash), or None."""
    if not token or len(token) > 200:
        return None
    return (
        Invitation.objects.select_related("partner", "partner__industry", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_ensure_usable(*, invitation: Invitation | None) -> Invitation:
    """The invitation if it can still be accepted; else ``InvitationInvalid`` saying why."""
    if invitation is None:
        raise InvitationInvalid(_("This invitation link is not valid."))
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        raise InvitationInvalid(_("This invitation has already been used."))
    if state == Invitation.State.REVOKED:
        raise InvitationInvalid(_("This invitation was withdrawn."))
    if state == Invitation.State.EXPIRED:
        raise InvitationInvalid(_("This invitation has expired: ask for a new one."))
    if invitation.partner.is_read_only:
        raise InvitationInvalid(_("This partner is suspended or closed: invitations cannot be accepted."))
    return invitation


# --------------------------------------------------------------------------------------
# Notifications (``partners.notifications``)
# --------------------------------------------------------------------------------------
def notifications_for_member(
    *, user, partner: Partner | None, kinds: Iterable[str] | None = None, unread: bool = False
) -> QuerySet[Notification]:
    """The notifications of ``user`` in ``partner`` (``None``: the staff's own), newest first.
    Another partner's notifications are never among them."""
    found = Notification.objects.filter(recipient=user, partner=partner)
    if kinds is not None:
        found = found.filter(kind__in=list(kinds))
    if unread:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-created_at", "-id")


def notification_unread_count(*, user, partner: Partner | None) -> int:
    """The bell's number: one COUNT over the unread index."""
    return Notification.objects.filter(recipient=user, partner=partner, read_at__isnull=True).count()


def notification_preferences(*, user, kinds: Iterable[str]) -> dict[str, str]:
    """How ``user`` receives each of ``kinds``: their choice, else the kind's default."""
    kinds = list(kinds)
    chosen = dict(
        NotificationPreference.objects.filter(user=user, kind__in=kinds).values_list("kind", "delivery")
    )
    return {kind: chosen.get(kind, KINDS[kind].default_delivery) for kind in kinds}


# --------------------------------------------------------------------------------------
# API lifecycle: deprecated routes and fields a partner's keys still use
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeprecationUse:
    deprecation: Deprecation
    calls: int


def partner_deprecation_use(*, partner: Partner, since: date) -> list[DeprecationUse]:
    """The registered deprecations not yet retired that the partner's keys called since
    ``since``, with their call counts, soonest sunset first. No query when nothing is deprecated,
    one otherwise."""
    live = {d.code: d for d in api_deprecations() if not d.retired()}
    if not live:
        return []
    rows = (
        ApiDeprecationUsage.objects.filter(partner=partner, code__in=live, day__gte=since)
        .values_list("code")
        .annotate(calls=Sum("calls"))
        .order_by("code")
    )
    uses = [DeprecationUse(deprecation=live[code], calls=calls) for code, calls in rows if calls]
    return sorted(uses, key=lambda u: (u.deprecation.sunset, u.deprecation.code))
