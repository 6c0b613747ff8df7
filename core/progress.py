"""The progress of a long job as people see it: done of total, percent, and when it should end.

Each job records, where it runs, how much it has done, of how much, when it started and when it
last wrote progress; this module turns those into what a page shows. The estimate comes from
the rate between the start and the last write (not the time of the page's request), so it
does not drift while a worker is busy between two writes. It imports no app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    started_at: datetime | None
    updated_at: datetime | None
    finished: bool

    @property
    def percent(self) -> int:
        """0 to 100; a finished job is at 100 whatever its counts (an empty file, a refusal)."""
        if self.finished:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)

    @property
    def eta(self) -> datetime | None:
        """When the job should end at the rate so far; None when finished or not yet measurable
        (nothing done, no time passed, or the total is unknown)."""
        if self.finished or not self.total or not self.done or not self.started_at or not self.updated_at:
            return None
        elapsed = (self.updated_at - self.started_at).total_seconds()
        if elapsed <= 0:
            return None
        remaining = max(0, self.total - self.done) * elapsed / self.done
        return self.updated_at + timedelta(seconds=remaining)
