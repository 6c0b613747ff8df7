"""Settlement periods: calendar periods in Asia/Shanghai (days, ISO weeks Monday–Sunday,
calendar months), both ends inclusive, clipped to an agreement's effective dates."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    def __str__(self) -> str:
        return f"{self.start.isoformat()}–{self.end.isoformat()}"


def calendar_period(cycle: str, day: date) -> Period:
    """The calendar period of ``cycle`` holding ``day``."""
    if cycle == "daily":
        return Period(day, day)
    if cycle == "weekly":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6))
    if cycle == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(day.replace(day=1), day.replace(day=last))
    raise ValueError(f"unknown cycle {cycle!r}")


def closed_periods(
    *, cycle: str, effective_from: date, effective_to: date | None, through: date
) -> Iterator[Period]:
    """Every period of an agreement that has ended on or before ``through``, in order, each
    clipped to ``[effective_from, effective_to]``. A period is closed when its calendar end
    (or the agreement's end) is on or before ``through``."""
    day = effective_from
    while True:
        cal = calendar_period(cycle, day)
        end = cal.end if effective_to is None else min(cal.end, effective_to)
        if end > through:
            return
        yield Period(max(cal.start, effective_from), end)
        if effective_to is not None and end >= effective_to:
            return
        day = end + timedelta(days=1)
