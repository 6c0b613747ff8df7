"""Writes of the staff console. Decisions go to the owning app's services (which check
permissions and moves); the console adds maker-checker for the inbox where the service does not
own it (approving a partner's application: ``partner_approve`` refuses its submitter)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from partners.services import lifecycle
from revenue import services as revenue
from scenarios.services import participation as participation_services

from ..exceptions import SelfApproval, UnknownDecision
from ..selectors import inbox

logger = logging.getLogger(__name__)


def _partner_decide(pk, decision: str, actor, reason: str) -> None:
    partner = inbox.partner_reviews().get(pk=pk)
    if decision != "approve":  # partner_approve refuses the submitter itself, wherever it is called
        _refuse_maker(partner.maker_id, actor)
    action: Callable = {
        "start_review": lifecycle.partner_review_start,
        "approve": lifecycle.partner_approve,
        "reject": lifecycle.partner_reject,
    }[decision]
    action(partner=partner, actor=actor, reason=reason)


def _participation_decide(pk, decision: str, actor, reason: str) -> None:
    participation = inbox.participation_requests().get(pk=pk)
    _refuse_maker(participation.requested_by_id, actor)
    action: Callable = {
        "approve": participation_services.participation_approve,
        "decline": participation_services.participation_decline,
    }[decision]
    action(participation=participation, by=actor, reason=reason)


def _agreement_decide(pk, decision: str, actor, reason: str) -> None:
    agreement = inbox.agreements_pending().get(pk=pk)
    _refuse_maker(agreement.created_by_id, actor)
    action: Callable = {"approve": revenue.agreement_approve, "return": revenue.agreement_return}[decision]
    action(agreement=agreement, by=actor, reason=reason)


def _statement_decide(pk, decision: str, actor, reason: str) -> None:
    statement = inbox.statements_pending().get(pk=pk)
    _refuse_maker(statement.prepared_by_id, actor)
    revenue.statement_approve(statement=statement, by=actor, reason=reason)


def _adjustment_decide(pk, decision: str, actor, reason: str) -> None:
    adjustment = inbox.adjustments_pending().get(pk=pk)
    _refuse_maker(adjustment.created_by_id, actor)
    action: Callable = {"approve": revenue.adjustment_approve, "reject": revenue.adjustment_reject}[decision]
    action(adjustment=adjustment, by=actor, reason=reason)


def _dispute_decide(pk, decision: str, actor, reason: str) -> None:
    dispute = inbox.disputes_open().get(pk=pk)
    _refuse_maker(dispute.raised_by_id, actor)
    revenue.dispute_reject(dispute=dispute, by=actor, reason=reason)


DECIDERS: dict[str, tuple[Callable, dict]] = {
    "partner": (_partner_decide, inbox.PARTNER_DECISIONS),
    "participation": (_participation_decide, inbox.PARTICIPATION_DECISIONS),
    "agreement": (_agreement_decide, inbox.AGREEMENT_DECISIONS),
    "statement": (_statement_decide, inbox.STATEMENT_DECISIONS),
    "adjustment": (_adjustment_decide, inbox.ADJUSTMENT_DECISIONS),
    "dispute": (_dispute_decide, inbox.DISPUTE_DECISIONS),
}


def _refuse_maker(maker_id: int | None, actor) -> None:
    if maker_id is not None and maker_id == actor.pk:
        raise SelfApproval(_("You made this request: another staff member must decide it."))


def inbox_decide(*, kind: str, pk, decision: str, actor, reason: str = "") -> None:
    """Take ``decision`` on a pending item of ``kind``. Raises ``SelfApproval`` when the actor
    is the item's maker, ``UnknownDecision`` for anything the inbox does not offer, and the
    owning app's domain errors (permission, allowed moves) as they come."""
    entry = DECIDERS.get(kind)
    known = {d.name for decisions in (entry[1].values() if entry else ()) for d in decisions}
    if entry is None or decision not in known:
        raise UnknownDecision(_("This decision is not available here."))
    try:
        entry[0](pk, decision, actor, reason)
    except ObjectDoesNotExist as exc:
        raise UnknownDecision(_("This item no longer waits for a decision.")) from exc
    logger.info("inbox %s %s: %s by user %s", kind, pk, decision, actor.pk)
