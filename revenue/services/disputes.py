"""Disputes: a partner's finance user challenges a statement line with a reason; staff either
propose an adjustment (approved by another staff member, it lands in the next statement) or
reject the dispute with a reason. Every step writes a ``DisputeEvent``."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import money_text
from core.transitions import change_row_write, transition
from partners.models import Membership
from partners.notifications import notify

from ..exceptions import DisputeInvalid, RevenueNotAllowed, StatusMoveInvalid
from ..models import Adjustment, Dispute, DisputeEvent, StatementLine
from ..selectors import adjustment_makers, dispute_makers
from ._common import require, require_not_maker

DStatus = Dispute.Status
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    DStatus.OPEN: frozenset({DStatus.RESOLVING, DStatus.REJECTED}),
    DStatus.RESOLVING: frozenset({DStatus.RESOLVED, DStatus.OPEN}),
    DStatus.RESOLVED: frozenset(),
    DStatus.REJECTED: frozenset(),
}
DISPUTING_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN, Membership.Role.FINANCE)


def _move(dispute: Dispute, to: str, actor, reason: str, **changes) -> Dispute:
    transition(
        dispute,
        to,
        moves=ALLOWED_MOVES,
        actor=actor,
        reason=reason,
        change_model=DisputeEvent,
        error=StatusMoveInvalid,
        changes=changes,
    )
    return dispute


@transaction.atomic
def dispute_raise(*, line: StatementLine, actor, reason: str) -> Dispute:
    """A partner user (owner, admin or finance) disputes a line of one of its statements."""
    partner_id = line.statement.partner_id
    role = Membership.objects.filter(partner_id=partner_id, user=actor).values_list("role", flat=True).first()
    if role not in DISPUTING_ROLES:
        raise RevenueNotAllowed(_("Only the partner's owner, admins and finance users dispute statements."))
    if not (reason or "").strip():
        raise DisputeInvalid(_("Say what is wrong with this line."), field="reason")
    if Dispute.objects.filter(line=line, status__in=[DStatus.OPEN, DStatus.RESOLVING]).exists():
        raise DisputeInvalid(_("This line is already disputed."), field="line")
    dispute = Dispute.objects.create(line=line, partner_id=partner_id, reason=reason.strip(), raised_by=actor)
    change_row_write(
        DisputeEvent, dispute, from_status="", to_status=DStatus.OPEN, actor=actor, reason=reason
    )
    partner = dispute.partner
    statement = f"#{line.statement_id}"
    notify(kind="dispute.received", partner=partner, target=dispute, params={"statement": statement})
    notify(
        kind="dispute.opened",
        partner=partner,
        target=dispute,
        params={"statement": statement, "reason": dispute.reason[:200]},
    )
    return dispute


def _dispute_notify(dispute: Dispute, kind: str, **params: str) -> None:
    """Tell the partner's owners and finance members how its dispute goes, after commit."""
    notify(
        kind=kind,
        partner=dispute.partner,
        target=dispute,
        params={"statement": f"#{dispute.line.statement_id}", **params},
    )


@transaction.atomic
def dispute_propose_adjustment(*, dispute: Dispute, actor, amount: Decimal, reason: str) -> Adjustment:
    """Staff (the maker) propose a share adjustment resolving the dispute."""
    require(actor, "revenue.resolve_dispute")
    dispute = Dispute.objects.select_for_update().select_related("line__statement").get(pk=dispute.pk)
    amount = Decimal(amount)
    if amount == 0 or amount != amount.quantize(Decimal("0.01")):
        raise DisputeInvalid(_("Give a non-zero amount in fen (two decimals)."), field="amount")
    if not (reason or "").strip():
        raise DisputeInvalid(_("Give the reason for the adjustment."), field="reason")
    adjustment = Adjustment.objects.create(
        agreement_id=dispute.line.statement.agreement_id,
        dispute=dispute,
        product_id=dispute.line.product_id,
        amount=amount,
        reason=reason.strip(),
        created_by=actor,
    )
    _move(
        dispute,
        DStatus.RESOLVING,
        actor,
        _("Adjustment of %(amount)s proposed: %(reason)s") % {"amount": amount, "reason": reason.strip()},
    )
    _dispute_notify(dispute, "dispute.proposed", amount=money_text(amount, dispute.line.statement.currency))
    return adjustment


@transaction.atomic
def adjustment_approve(*, adjustment: Adjustment, actor, reason: str = "") -> Adjustment:
    """The checker (never the maker) approves: it lands in the next statement."""
    require(actor, "revenue.approve_adjustment")
    adjustment = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
    require_not_maker(actor, adjustment_makers(adjustment), _("an adjustment"))
    if adjustment.status != Adjustment.Status.PENDING_APPROVAL:
        raise DisputeInvalid(_("This adjustment is already decided."))
    adjustment.status = Adjustment.Status.APPROVED
    adjustment.decided_by, adjustment.decided_at = actor, timezone.now()
    adjustment.save()
    if adjustment.dispute_id:
        dispute = (
            Dispute.objects.select_for_update(of=("self",))
            .select_related("partner", "line__statement")
            .get(pk=adjustment.dispute_id)
        )
        _move(
            dispute,
            DStatus.RESOLVED,
            actor,
            reason or _("Adjustment approved."),
            resolution=adjustment.reason,
        )
        _dispute_notify(
            dispute, "dispute.resolved", amount=money_text(adjustment.amount, dispute.line.statement.currency)
        )
    return adjustment


@transaction.atomic
def adjustment_reject(*, adjustment: Adjustment, actor, reason: str) -> Adjustment:
    """The checker refuses the proposed adjustment: the dispute is open again."""
    require(actor, "revenue.approve_adjustment")
    adjustment = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
    require_not_maker(actor, adjustment_makers(adjustment), _("an adjustment"))
    if adjustment.status != Adjustment.Status.PENDING_APPROVAL:
        raise DisputeInvalid(_("This adjustment is already decided."))
    if not (reason or "").strip():
        raise DisputeInvalid(_("Say why the adjustment is refused."), field="reason")
    adjustment.status = Adjustment.Status.REJECTED
    adjustment.decided_by, adjustment.decided_at = actor, timezone.now()
    adjustment.save()
    if adjustment.dispute_id:
        dispute = Dispute.objects.select_for_update().get(pk=adjustment.dispute_id)
        _move(dispute, DStatus.OPEN, actor, reason)
    return adjustment


@transaction.atomic
def dispute_reject(*, dispute: Dispute, actor, reason: str) -> Dispute:
    require(actor, "revenue.resolve_dispute")
    if not (reason or "").strip():
        raise DisputeInvalid(_("Say why the dispute is rejected."), field="reason")
    dispute = (
        Dispute.objects.select_for_update(of=("self",)).select_related("partner", "line").get(pk=dispute.pk)
    )
    require_not_maker(actor, dispute_makers(dispute), _("a dispute"))
    _move(dispute, DStatus.REJECTED, actor, reason.strip(), resolution=reason.strip())
    _dispute_notify(dispute, "dispute.rejected", reason=reason.strip()[:200])
    return dispute
