"""Risk signals as the risk page lists them: open ones first, newest first, one page."""

from __future__ import annotations

from django.db.models import QuerySet

from console.models import RiskSignal

PAGE_SIZE = 50
LIVE = (RiskSignal.Status.OPEN, RiskSignal.Status.ACKNOWLEDGED)


def risk_signals(*, status: str = "", rule: str = "") -> QuerySet[RiskSignal]:
    """Signals of ``status`` (default: open and acknowledged), optionally of one rule."""
    qs = RiskSignal.objects.select_related("partner", "decided_by")
    qs = qs.filter(status=status) if status else qs.filter(status__in=LIVE)
    if rule:
        qs = qs.filter(rule=rule)
    return qs.order_by("-detected_at", "-id")
