"""Partner records and their onboarding lifecycle.

Every status change goes through ``_partner_move``: it locks the partner row, checks the
allowed-moves map, runs the move's precondition, writes a ``PartnerStatusChange`` row and,
after commit, tells the partner's owners and admins of the bank's decision by e-mail.
Approval is maker-checker: whoever submitted the application, started its review or verified
its documents or credit code never approves it (``core.four_eyes``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.four_eyes import maker_parts
from core.transitions import transition

from ..exceptions import PartnerError, PartnerInvalidTransition, PartnerNotAllowed, ReviewIncomplete
from ..keycache import partner_forget
from ..models import Partner, PartnerDocument, PartnerStatusChange
from ..selectors import (
    partner_application_gaps,
    partner_document_gaps,
    partner_makers,
    partner_review_checklist,
)
from ..validators import normalise_credit_code
from ._access import require_staff_perm, require_staff_perm_or_role
from .notifications import partner_decision_notify
from .webhooks import webhook_event_publish

logger = logging.getLogger(__name__)

S = Partner.Status

# from → the statuses it may move to. Nothing else is possible.
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.UNDER_REVIEW}),
    S.UNDER_REVIEW: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.ACTIVE}),
    S.ACTIVE: frozenset({S.SUSPENDED, S.TERMINATED}),
    S.SUSPENDED: frozenset({S.ACTIVE, S.TERMINATED}),
    # A rejected applicant may apply again with the same credit code (unique per partner).
    S.REJECTED: frozenset({S.DRAFT}),
    S.TERMINATED: frozenset(),
}

# Moves whose change row must say why.
REASON_REQUIRED = frozenset({S.REJECTED, S.SUSPENDED, S.TERMINATED})

# Moves the partner's owners and admins hear of by e-mail: the bank's decisions, so every move
# but the submission (the applicant's own).
DECISIONS_MAILED = frozenset(S) - {S.SUBMITTED}

# The fields staff (and the import) may set; the status only moves through the services.
EDITABLE_FIELDS = (
    "slug",
    "legal_name",
    "display_name",
    "credit_code",
    "industry",
    "tier",
    "risk_rating",
    "relationship_manager",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
)


# --------------------------------------------------------------------------------------
# Partner records
# --------------------------------------------------------------------------------------
def partner_save(*, partner: Partner, actor) -> Partner:
    """Create or update a partner record (not its status): validates every field, and
    forgets the credit-code verification when the code changes. Admin forms and the import
    come through here."""
    creating = partner.pk is None
    require_staff_perm(actor, "partners.add_partner" if creating else "partners.change_partner")
    if partner.credit_code:
        partner.credit_code = normalise_credit_code(partner.credit_code)
    if not creating:
        stored = Partner.objects.filter(pk=partner.pk).values("credit_code", "status").get()
        partner.status = stored["status"]  # never changed here, whatever the caller set
        if stored["credit_code"] != partner.credit_code:
            partner.credit_code_verified_at = None
            partner.credit_code_verified_by = None
    else:
        partner.status = S.DRAFT
    partner.full_clean()
    partner._history_user = actor
    partner.save()
    return partner


def partner_create(*, actor, **fields) -> Partner:
    """A new partner application, in draft."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"partner_create() got unexpected fields: {', '.join(sorted(unknown))}")
    return partner_save(partner=Partner(**fields), actor=actor)


def partner_update(*, partner: Partner, actor, **fields) -> Partner:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"partner_update() got unexpected fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(partner, name, value)
    return partner_save(partner=partner, actor=actor)


def partner_credit_code_verify(*, partner: Partner, actor) -> Partner:
    """Record that staff checked the code against the national enterprise credit registry."""
    require_staff_perm(actor, "partners.review_partner")
    if partner.status not in (S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED, S.ACTIVE, S.SUSPENDED):
        raise PartnerInvalidTransition(
            _("The credit code is verified during the review, not while the partner is %(status)s.")
            % {"status": partner.get_status_display().lower()}
        )
    partner.credit_code_verified_at = timezone.now()
    partner.credit_code_verified_by = actor
    partner._history_user = actor
    partner._change_reason = gettext_noop("credit code verified")  # shown translated
    partner.save(update_fields=["credit_code_verified_at", "credit_code_verified_by", "updated_at"])
    return partner


# --------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------
def _partner_move(
    *,
    partner: Partner,
    to: str,
    actor,
    reason: str = "",
    precondition: Callable[[Partner], None] | None = None,
    only_from: frozenset[str] | None = None,
) -> Partner:
    reason = (reason or "").strip()
    if to in REASON_REQUIRED and not reason:
        raise PartnerError(_("Give a reason for this change."), field="reason", code="reason_required")
    with transaction.atomic():
        # The lock serialises two staff members moving the same partner at once.
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        from_status = locked.status
        moves = {s: ALLOWED_MOVES[s] for s in only_from} if only_from else ALLOWED_MOVES
        change = transition(
            locked,
            to,
            moves=moves,
            actor=actor,
            reason=reason,
            change_model=PartnerStatusChange,
            error=PartnerInvalidTransition,
            check=precondition,
        )
        transaction.on_commit(lambda: partner_forget(locked.pk))
        if to in DECISIONS_MAILED:
            transaction.on_commit(lambda: partner_decision_notify(change=change))
        webhook_event_publish(
            partner=locked,
            event="partner.status_changed",
            payload={"partner": locked.slug, "from": from_status, "to": to},
        )
    logger.info(
        "partner %s moved %s → %s by user %s", locked.slug, from_status, to, getattr(actor, "pk", None)
    )
    partner.status = locked.status
    partner.updated_at = locked.updated_at
    return partner


def _application_complete(partner: Partner) -> None:
    gaps = partner_application_gaps(partner=partner)
    if gaps:
        raise PartnerError(
            _("The application is incomplete. Missing: %(missing)s.") % {"missing": ", ".join(gaps)},
            code="application_incomplete",
        )


def _review_complete(partner: Partner) -> None:
    checklist = partner_review_checklist(partner=partner)
    if not checklist.complete:
        raise ReviewIncomplete(
            _("The review checklist is not complete: %(missing)s.")
            % {"missing": ", ".join(checklist.missing)}
        )


def _documents_valid(partner: Partner) -> None:
    gaps = partner_document_gaps(partner=partner)
    if gaps:
        raise ReviewIncomplete(
            _("A required document is missing, unverified or expired: %(documents)s.")
            % {"documents": ", ".join(str(PartnerDocument.DocumentType(t).label) for t in gaps)}
        )


def partner_submit(*, partner: Partner, actor, reason: str = "") -> Partner:
    """draft → submitted: by staff, or by the partner's owner or admin."""
    require_staff_perm_or_role(actor, partner, "partners.submit_partner", ("owner", "admin"))
    return _partner_move(
        partner=partner, to=S.SUBMITTED, actor=actor, reason=reason, precondition=_application_complete
    )


def partner_review_start(*, partner: Partner, actor, reason: str = "") -> Partner:
    """submitted → under review."""
    require_staff_perm(actor, "partners.review_partner")
    return _partner_move(partner=partner, to=S.UNDER_REVIEW, actor=actor, reason=reason)


def partner_approve_refusals(*, partners, actor) -> dict[int, str]:
    """Four eyes, per partner id: why ``actor`` may not approve each of ``partners`` — they
    submitted it, started its review, verified one of its documents or its credit code (not
    even a superuser approves then). Partners missing from the answer are ``actor``'s to
    decide. Two queries (``partner_makers``), whatever the number of partners."""
    refusals = {}
    for pk, makers in partner_makers(partners=partners).items():
        parts = maker_parts(actor, makers)
        if parts:
            refusals[pk] = _(
                "Maker-checker: you %(parts)s, so another staff member must approve this partner."
            ) % {"parts": ", ".join(parts)}
    return refusals


def _not_a_maker(partner: Partner, actor) -> None:
    refusal = partner_approve_refusals(partners=[partner], actor=actor).get(partner.pk)
    if refusal:
        raise PartnerNotAllowed(refusal, code="maker_checker")


def partner_approve(*, partner: Partner, actor, reason: str = "") -> Partner:
    """under review → approved, once the review checklist is complete, by someone who did not
    make the application: not its submitter, nor who started its review or verified its
    documents or credit code."""
    require_staff_perm(actor, "partners.review_partner")

    def precondition(locked: Partner) -> None:
        _not_a_maker(locked, actor)
        _review_complete(locked)

    return _partner_move(
        partner=partner, to=S.APPROVED, actor=actor, reason=reason, precondition=precondition
    )


def partner_reject(*, partner: Partner, actor, reason: str) -> Partner:
    """under review → rejected."""
    require_staff_perm(actor, "partners.review_partner")
    return _partner_move(partner=partner, to=S.REJECTED, actor=actor, reason=reason)


def partner_reopen(*, partner: Partner, actor, reason: str = "") -> Partner:
    """rejected → draft: the applicant may complete the application and submit it again."""
    require_staff_perm(actor, "partners.review_partner")
    return _partner_move(partner=partner, to=S.DRAFT, actor=actor, reason=reason)


def _partner_to_active(*, partner: Partner, actor, reason: str, only_from: str) -> Partner:
    return _partner_move(
        partner=partner,
        to=S.ACTIVE,
        actor=actor,
        reason=reason,
        precondition=_documents_valid,
        only_from=frozenset({only_from}),
    )


def partner_activate(*, partner: Partner, actor, reason: str = "") -> Partner:
    """approved → active (go-live): the required documents must still be valid."""
    require_staff_perm(actor, "partners.activate_partner")
    # Reinstating a suspended partner is a different decision with its own permission.
    return _partner_to_active(partner=partner, actor=actor, reason=reason, only_from=S.APPROVED)


def partner_suspend(*, partner: Partner, actor, reason: str) -> Partner:
    """active → suspended: API keys refused, portal read-only, at once."""
    require_staff_perm(actor, "partners.suspend_partner")
    return _partner_move(partner=partner, to=S.SUSPENDED, actor=actor, reason=reason)


def partner_reinstate(*, partner: Partner, actor, reason: str = "") -> Partner:
    """suspended → active: the required documents must be valid again."""
    require_staff_perm(actor, "partners.suspend_partner")
    return _partner_to_active(partner=partner, actor=actor, reason=reason, only_from=S.SUSPENDED)


def partner_terminate(*, partner: Partner, actor, reason: str) -> Partner:
    """active or suspended → terminated: final; the portal closes, keys stop working."""
    require_staff_perm(actor, "partners.terminate_partner")
    return _partner_move(partner=partner, to=S.TERMINATED, actor=actor, reason=reason)
