"""Recovery after a worker dies: the watchdog that beat runs every few minutes.

A settlement run whose worker was killed stays ``running``: its unacknowledged task comes back
only when the broker's visibility timeout ends, and the later periods of its chain were never
sent. The watchdog resumes a run that has made no progress for ``SETTLEMENT_STALL_MINUTES``
by dispatching its unsettled periods again (``settlement_run_resume``) — safe because a
period's statement is generated once, whoever runs it and however often.

An import whose worker died stays ``running`` with no heartbeat: after ``IMPORT_STALL_MINUTES``
the watchdog ends it ``failed`` with the reason (nothing of it was written: the rows go in in one
transaction), and staff upload the file again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import SettlementRun, TransactionImport
from .settlement import settlement_run_resume

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchdogResult:
    runs_resumed: int
    periods_dispatched: int
    imports_failed: int


def settlement_watchdog(*, now: datetime | None = None) -> WatchdogResult:
    """Resume the stalled settlement runs and end the imports whose worker died."""
    now = now or timezone.now()
    stalled_before = now - timedelta(minutes=settings.SETTLEMENT_STALL_MINUTES)
    stalled = list(
        SettlementRun.objects.filter(status=SettlementRun.Status.RUNNING)
        .filter(
            Q(progress_at__lte=stalled_before) | Q(progress_at__isnull=True, started_at__lte=stalled_before)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    dispatched = sum(settlement_run_resume(run_id=run_id) for run_id in stalled)
    failed = transaction_import_fail_stalled(now=now)
    if stalled or failed:
        logger.warning(
            "watchdog: %d settlement runs resumed (%d periods), %d imports ended",
            len(stalled),
            dispatched,
            failed,
        )
    return WatchdogResult(runs_resumed=len(stalled), periods_dispatched=dispatched, imports_failed=failed)


def transaction_import_fail_stalled(*, now: datetime | None = None) -> int:
    """End as failed, with the reason, every running import with no heartbeat for
    ``IMPORT_STALL_MINUTES``. Returns how many."""
    now = now or timezone.now()
    stalled_before = now - timedelta(minutes=settings.IMPORT_STALL_MINUTES)
    reason = _(
        "The import stopped: its worker sent no sign of life for %(minutes)s minutes. Nothing was "
        "written; upload the file again."
    ) % {"minutes": f"{settings.IMPORT_STALL_MINUTES:g}"}
    return (
        TransactionImport.objects.filter(status=TransactionImport.Status.RUNNING)
        .filter(
            Q(heartbeat_at__lte=stalled_before) | Q(heartbeat_at__isnull=True, created_at__lte=stalled_before)
        )
        .update(
            status=TransactionImport.Status.FAILED,
            errors=[{"row": 0, "field": "", "message": reason}],
            finished_at=now,
        )
    )
