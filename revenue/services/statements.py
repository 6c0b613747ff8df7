"""Status moves of statements: a finance maker prepares (checks) a draft, a finance checker who
is not the preparer approves it; finance records the payout (reference and value date) and a
second person confirms it — then, and only then, the statement is paid. Every step leaves a
change row; amounts never change.

    draft → approved → recorded → paid
                 ↖ (sent back) ↙

A released payout batch (``payouts``, docs/payouts.md) moves its statements with
``statement_payout_move``: approved → in_payment (a payment carries it), approved → paid (settled
by netting: a claw-back fully taken, or statements a claw-back consumed), then in_payment → paid
when the bank's statement shows the payment, or in_payment → approved when it comes back.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fen import to_fen
from core.money import money_text
from core.transitions import transition, transition_check
from partners.notifications import notify
from partners.services import webhook_event_publish

from ..exceptions import RevenueError, StatusMoveInvalid
from ..models import Statement, StatementStatusChange
from ..selectors import payout_makers, statement_makers
from ._common import require, require_not_maker

SStatus = Statement.Status
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    SStatus.DRAFT: frozenset({SStatus.APPROVED}),
    SStatus.APPROVED: frozenset({SStatus.RECORDED}),
    # The confirmer confirms the recorded payout, or sends it back (wrong reference or date).
    SStatus.RECORDED: frozenset({SStatus.PAID, SStatus.APPROVED}),
    SStatus.PAID: frozenset(),
}


def _locked(statement: Statement) -> Statement:
    return Statement.objects.select_for_update().select_related("agreement__partner").get(pk=statement.pk)


def _move(statement: Statement, to: str, actor, reason: str, moves=None, **changes) -> Statement:
    # Only the status and ``changes`` are saved: the amounts of a generated statement never change.
    transition(
        statement,
        to,
        moves=moves or ALLOWED_MOVES,
        actor=actor,
        reason=reason,
        change_model=StatementStatusChange,
        error=StatusMoveInvalid,
        changes=changes,
    )
    return statement


def statement_notify(*, statement: Statement, kind: str) -> None:
    """Tell the partner's owners and finance members (notification centre) about ``statement``
    (``statement.ready``, ``statement.approved``, ``statement.paid``), after commit."""
    notify(
        kind=kind,
        partner=statement.agreement.partner,
        target=statement,
        params={
            "statement": f"#{statement.pk}",
            "period": f"{statement.period_start.isoformat()} – {statement.period_end.isoformat()}",
            "amount": money_text(
                to_fen(statement.share_amount + statement.adjustment_amount), statement.currency
            ),
        },
    )


def statement_publish(*, statement: Statement, event: str) -> None:
    """Tell the partner's webhooks and members about ``statement`` (``statement.ready`` when
    generated, ``statement.approved``): inside the caller's transaction, sent after it commits."""
    statement_notify(statement=statement, kind=event)
    webhook_event_publish(
        partner=statement.agreement.partner,
        event=event,
        payload={
            "statement": statement.pk,
            "agreement": statement.agreement_id,
            "period_start": statement.period_start.isoformat(),
            "period_end": statement.period_end.isoformat(),
            "status": statement.status,
            "currency": statement.currency,
            "share_amount": f"{statement.share_amount:.2f}",
            "adjustment_amount": f"{statement.adjustment_amount:.2f}",
        },
    )


@transaction.atomic
def statement_prepare(*, statement: Statement, actor) -> Statement:
    """A finance maker has checked the draft and sends it for approval (no status move)."""
    require(actor, "revenue.prepare_statement")
    statement = _locked(statement)
    if statement.status != SStatus.DRAFT:
        raise RevenueError(_("Only a draft statement is prepared."))
    now = timezone.now()
    Statement.objects.filter(pk=statement.pk).update(prepared_by=actor, prepared_at=now)
    statement.prepared_by, statement.prepared_at = actor, now
    return statement


@transaction.atomic
def statement_approve(*, statement: Statement, actor, reason: str = "") -> Statement:
    """The checker approves a prepared draft; refused when they prepared it, whoever they are."""
    require(actor, "revenue.approve_statement")
    statement = _locked(statement)
    if statement.prepared_by_id is None:
        raise RevenueError(_("A finance maker must prepare the statement before it is approved."))
    require_not_maker(actor, statement_makers(statement), _("a statement"))
    _move(statement, SStatus.APPROVED, actor, reason, approved_by=actor, approved_at=timezone.now())
    statement_publish(statement=statement, event="statement.approved")
    return statement


@transaction.atomic
def statement_pay(
    *, statement: Statement, actor, payout_reference: str, paid_on: date, reason: str = ""
) -> Statement:
    """Record the payout of an approved statement (bank transfer reference and value date):
    approved → recorded. It is paid once a second person confirms it
    (``statement_payout_confirm``)."""
    require(actor, "revenue.pay_statement")
    reference = (payout_reference or "").strip()
    if not reference:
        raise RevenueError(_("Give the payout reference."), field="payout_reference")
    if paid_on is None:
        raise RevenueError(_("Give the payout date."), field="paid_on")
    statement = _locked(statement)
    if statement.payout_lines.filter(live=True).exists():
        raise RevenueError(
            _("This statement is in a payout batch: it is paid through the batch, not by hand."),
            field="payout_reference",
        )
    return _move(
        statement,
        SStatus.RECORDED,
        actor,
        reason
        or _("Payout %(reference)s of %(date)s recorded.") % {"reference": reference[:100], "date": paid_on},
        paid_on=paid_on,
        payout_reference=reference[:100],
        payout_recorded_by=actor,
        payout_recorded_at=timezone.now(),
    )


@transaction.atomic
def statement_payout_confirm(*, statement: Statement, actor, reason: str = "") -> Statement:
    """A second person checked the recorded payout against the bank: recorded → paid. Refused
    to whoever recorded it, whoever they are."""
    require(actor, "revenue.confirm_statement_payout")
    statement = _locked(statement)
    transition_check(statement, SStatus.PAID, moves=ALLOWED_MOVES, error=StatusMoveInvalid)
    require_not_maker(actor, payout_makers(statement), _("a payout"))
    _move(
        statement,
        SStatus.PAID,
        actor,
        reason or _("Payout %(reference)s confirmed.") % {"reference": statement.payout_reference},
        payout_confirmed_by=actor,
        payout_confirmed_at=timezone.now(),
    )
    statement_notify(statement=statement, kind="statement.paid")
    return statement


@transaction.atomic
def statement_payout_return(*, statement: Statement, actor, reason: str) -> Statement:
    """The confirmer sends a recorded payout back (wrong reference or date): recorded →
    approved, the recorded payout cleared; the change row keeps what was recorded and why."""
    require(actor, "revenue.confirm_statement_payout")
    if not (reason or "").strip():
        raise RevenueError(_("Say why the payout goes back."), field="reason")
    statement = _locked(statement)
    transition_check(statement, SStatus.APPROVED, moves=ALLOWED_MOVES, error=StatusMoveInvalid)
    require_not_maker(actor, payout_makers(statement), _("a payout"))
    recorded = _("Payout %(reference)s of %(date)s sent back: %(reason)s") % {
        "reference": statement.payout_reference,
        "date": statement.paid_on,
        "reason": reason.strip(),
    }
    return _move(
        statement,
        SStatus.APPROVED,
        actor,
        recorded,
        paid_on=None,
        payout_reference="",
        payout_recorded_by=None,
        payout_recorded_at=None,
    )


# The moves a payout batch makes (``statement_payout_move``); the hand-recorded payout keeps its own.
PAYOUT_MOVES: dict[str, frozenset[str]] = {
    SStatus.APPROVED: frozenset({SStatus.IN_PAYMENT, SStatus.PAID}),
    SStatus.IN_PAYMENT: frozenset({SStatus.PAID, SStatus.APPROVED}),
}


def statement_payout_move(*, statement: Statement, to: str, actor, reason: str, **changes) -> Statement:
    """Move a statement the caller has locked (``select_for_update``) for a payout batch
    (``payouts.services.batches``): approved → in_payment or paid (by netting), in_payment →
    paid or approved. One change row, as every move; ``changes`` (``paid_on``,
    ``payout_reference``) saved with it. Refused with ``StatusMoveInvalid`` naming both statuses."""
    return _move(statement, to, actor, reason, moves=PAYOUT_MOVES, **changes)
