"""The job monitor: scheduled tasks (django-celery-beat), the beat heartbeat, settlement runs
and transaction imports with their progress and errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from revenue.models import SettlementRun, TransactionImport

from ..links import changelist
from ..models import Heartbeat

# Beat sends the heartbeat every 5 minutes: two missed in a row is late, not a slow worker.
HEARTBEAT_LATE_AFTER = timedelta(minutes=10)


def periodic_tasks() -> QuerySet[PeriodicTask]:
    """Every beat schedule with its timing, in one query."""
    return PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked").order_by("name")


def beat_admin_link() -> str:
    return changelist("django_celery_beat", "periodictask")


@dataclass(frozen=True)
class BeatHeartbeat:
    at: datetime
    late: bool


def last_heartbeat(*, now: datetime | None = None) -> BeatHeartbeat | None:
    """When beat and a worker last proved alive (``portal.tasks.heartbeat``), and whether that
    is longer ago than two heartbeats; None when none was ever recorded (one query)."""
    row = Heartbeat.objects.filter(name=Heartbeat.BEAT).first()
    if row is None:
        return None
    return BeatHeartbeat(at=row.at, late=(now or timezone.now()) - row.at > HEARTBEAT_LATE_AFTER)


RUNS_SHOWN = 20


def settlement_runs() -> list[SettlementRun]:
    """The latest settlement runs with their progress and errors (one query)."""
    return list(
        SettlementRun.objects.select_related("started_by").order_by("-started_at", "-id")[:RUNS_SHOWN]
    )


def settlement_run(pk: int) -> SettlementRun:
    """One run with who started it (one query); 404 when there is none."""
    return get_object_or_404(SettlementRun.objects.select_related("started_by"), pk=pk)


def transaction_imports() -> list[TransactionImport]:
    """The latest staff imports of partner transaction files (one query)."""
    return list(
        TransactionImport.objects.select_related("partner", "created_by").order_by("-created_at", "-id")[
            :RUNS_SHOWN
        ]
    )


def transaction_import(pk: int) -> TransactionImport:
    """One import with its partner and uploader (one query); 404 when there is none."""
    return get_object_or_404(TransactionImport.objects.select_related("partner", "created_by"), pk=pk)


def any_running(runs: list[SettlementRun], imports: list[TransactionImport]) -> bool:
    """Whether the *Jobs* page still has something to follow (it stops polling when not)."""
    return any(not job.progress_state.finished for job in [*runs, *imports])
