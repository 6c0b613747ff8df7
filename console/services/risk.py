"""Risk signals: the scan that stores what the rules find (once per rule, partner, subject and
window), and the staff workflow — acknowledge, escalate (suspends the partner through the
partners lifecycle service), dismiss with a reason."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from console.models import RiskSignal, RiskSignalChange
from core.actors import staff_may
from core.domain import NotAllowed
from core.transitions import transition
from partners.selectors import business_today
from partners.services.lifecycle import partner_suspend

from ..exceptions import ConsoleError, SignalInvalidTransition
from ..risk import RULES

logger = logging.getLogger(__name__)

S = RiskSignal.Status
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.ACKNOWLEDGED, S.ESCALATED, S.DISMISSED}),
    S.ACKNOWLEDGED: frozenset({S.ESCALATED, S.DISMISSED}),
    S.ESCALATED: frozenset(),
    S.DISMISSED: frozenset(),
}
DECIDE = "console.decide_risksignal"


@dataclass(frozen=True)
class ScanResult:
    day: date
    found: int
    created: int


def risk_scan(*, day: date | None = None) -> ScanResult:
    """Run every rule over one business day (today by default) and store new signals. A rerun
    finds the same signals and stores nothing: the database refuses the duplicates."""
    day = day or business_today()
    candidates = [signal for rule in RULES.values() for signal in rule(day)]
    window = RiskSignal.objects.filter(window_start=day, window_end=day)
    before = window.count()
    RiskSignal.objects.bulk_create(candidates, ignore_conflicts=True)
    created = window.count() - before
    logger.info("risk scan %s: %s found, %s new", day, len(candidates), created)
    return ScanResult(day, len(candidates), created)


@transaction.atomic
def _move(*, signal: RiskSignal, to: str, actor, reason: str) -> RiskSignal:
    if not staff_may(actor, DECIDE):  # a person decides a signal, never the system
        raise NotAllowed(_("You do not have permission to do this."))
    locked = RiskSignal.objects.select_for_update().get(pk=signal.pk)
    transition(
        locked,
        to,
        moves=ALLOWED_MOVES,
        actor=actor,
        reason=reason,
        change_model=RiskSignalChange,
        error=SignalInvalidTransition,
        changes={"decided_by": actor, "decided_at": timezone.now(), "reason": reason},
    )
    return locked


def risk_signal_acknowledge(*, signal: RiskSignal, actor, reason: str = "") -> RiskSignal:
    """Someone is looking into it."""
    return _move(signal=signal, to=S.ACKNOWLEDGED, actor=actor, reason=reason.strip())


@transaction.atomic
def risk_signal_escalate(*, signal: RiskSignal, actor, reason: str) -> RiskSignal:
    """Suspend the partner (the lifecycle service checks the permission and the move) and mark
    the signal escalated, both or neither."""
    reason = (reason or "").strip()
    if not reason:
        raise ConsoleError(_("Give a reason for this change."), field="reason", code="reason_required")
    signal = _move(signal=signal, to=S.ESCALATED, actor=actor, reason=reason)
    partner_suspend(
        partner=signal.partner,
        actor=actor,
        reason=_("Risk signal %(id)s: %(reason)s") % {"id": signal.pk, "reason": reason},
    )
    return signal


def risk_signal_dismiss(*, signal: RiskSignal, actor, reason: str) -> RiskSignal:
    """Not a problem after all: the reason is kept."""
    reason = (reason or "").strip()
    if not reason:
        raise ConsoleError(
            _("Give a reason for dismissing the signal."), field="reason", code="reason_required"
        )
    return _move(signal=signal, to=S.DISMISSED, actor=actor, reason=reason)
