"""Business dates for the API hot path without a time-zone conversion per request: the
current Asia/Shanghai day and month are computed once and reused until their boundary."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.utils import timezone

_day: tuple[float, float, str] = (0.0, 0.0, "")
_month: tuple[float, float, str] = (0.0, 0.0, "")


def _bounds(now: float, *, month: bool) -> tuple[float, float, str]:
    local = timezone.localtime(datetime.fromtimestamp(now, tz=timezone.get_current_timezone()))
    if month:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        label = start.strftime("%Y%m")
    else:
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
        label = start.date().isoformat()
    return start.timestamp(), end.timestamp(), label


def business_day(now: float | None = None) -> str:
    """Today in Asia/Shanghai as ``YYYY-MM-DD``."""
    global _day
    now = time.time() if now is None else now
    if not (_day[0] <= now < _day[1]):
        _day = _bounds(now, month=False)
    return _day[2]


def business_month(now: float | None = None) -> tuple[str, int]:
    """``(YYYYMM, whole seconds until the next month starts)`` in Asia/Shanghai."""
    global _month
    now = time.time() if now is None else now
    if not (_month[0] <= now < _month[1]):
        _month = _bounds(now, month=True)
    return _month[2], max(1, int(_month[1] - now))
