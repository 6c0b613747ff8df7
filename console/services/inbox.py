"""Writes of the staff console. Decisions go to the owning app's services, which check
permissions, moves and four eyes themselves; the console refuses up front what its page does
not offer (``inbox.barring_parts``: a maker never decides their own object), so a decision
posted by hand meets the same rule as the button."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from partners.services import lifecycle
from payouts import services as payouts
from revenue import services as revenue
from scenarios.services import participation as participation_services

from ..exceptions import SelfApproval, UnknownDecision
from ..selectors import inbox

logger = logging.getLogger(__name__)


def _partner_decide(partner, decision: str, actor, reason: str) -> None:
    action: Callable = {
        "start_review": lifecycle.partner_review_start,
        "approve": lifecycle.partner_approve,
        "reject": lifecycle.partner_reject,
    }[decision]
    action(partner=partner, actor=actor, reason=reason)


def _participation_decide(participation, decision: str, actor, reason: str) -> None:
    action: Callable = {
        "approve": participation_services.participation_approve,
        "decline": participation_services.participation_decline,
    }[decision]
    action(participation=participation, actor=actor, reason=reason)


def _agreement_decide(agreement, decision: str, actor, reason: str) -> None:
    action: Callable = {"approve": revenue.agreement_approve, "return": revenue.agreement_return}[decision]
    action(agreement=agreement, actor=actor, reason=reason)


def _statement_decide(statement, decision: str, actor, reason: str) -> None:
    revenue.statement_approve(statement=statement, actor=actor, reason=reason)


def _payout_decide(statement, decision: str, actor, reason: str) -> None:
    action: Callable = {
        "confirm": revenue.statement_payout_confirm,
        "send_back": revenue.statement_payout_return,
    }[decision]
    action(statement=statement, actor=actor, reason=reason)


def _adjustment_decide(adjustment, decision: str, actor, reason: str) -> None:
    action: Callable = {"approve": revenue.adjustment_approve, "reject": revenue.adjustment_reject}[decision]
    action(adjustment=adjustment, actor=actor, reason=reason)


def _dispute_decide(dispute, decision: str, actor, reason: str) -> None:
    revenue.dispute_reject(dispute=dispute, actor=actor, reason=reason)


def _payee_account_decide(account, decision: str, actor, reason: str) -> None:
    if decision == "verify":
        payouts.payee_account_verify(account=account, actor=actor, name_difference_approval=reason)
    else:
        payouts.payee_account_reject(account=account, actor=actor, reason=reason)


def _vat_invoice_decide(invoice, decision: str, actor, reason: str) -> None:
    action: Callable = {"verify": payouts.invoice_verify, "reject": payouts.invoice_reject}[decision]
    action(invoice=invoice, actor=actor, reason=reason)


DECIDERS: dict[str, Callable] = {
    "partner": _partner_decide,
    "participation": _participation_decide,
    "agreement": _agreement_decide,
    "statement": _statement_decide,
    "payout": _payout_decide,
    "adjustment": _adjustment_decide,
    "dispute": _dispute_decide,
    "payee_account": _payee_account_decide,
    "vat_invoice": _vat_invoice_decide,
}


def inbox_decide(*, kind: str, pk, decision: str, actor, reason: str = "") -> None:
    """Take ``decision`` on a pending item of ``kind``. Raises ``SelfApproval`` when the actor
    made the item (four eyes), ``UnknownDecision`` for anything the inbox does not offer, and
    the owning app's domain errors (permission, allowed moves) as they come."""
    entry = inbox.KINDS_BY_NAME.get(kind)
    known = {d.name: d for decisions in (entry.decisions.values() if entry else ()) for d in decisions}
    if entry is None or decision not in known:
        raise UnknownDecision(_("This decision is not available here."))
    try:
        row, item = entry.get(pk)
    except (ObjectDoesNotExist, ValueError) as exc:
        raise UnknownDecision(_("This item no longer waits for a decision.")) from exc
    offered = {d.name: d for d in item.decisions}
    if decision not in offered:
        raise UnknownDecision(_("This decision is not available here."))
    parts = inbox.barring_parts(item, offered[decision], actor)
    if parts:
        raise SelfApproval(
            _("You made this request (you %(parts)s): another staff member must decide it.")
            % {"parts": ", ".join(parts)}
        )
    DECIDERS[kind](row, decision, actor, reason)
    logger.info("inbox %s %s: %s by user %s", kind, pk, decision, actor.pk)
