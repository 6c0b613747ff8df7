"""The job monitor: scheduled tasks (django-celery-beat) and, once revenue is built,
settlement runs with their progress and errors."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet
from django_celery_beat.models import PeriodicTask

from revenue.models import SettlementRun, TransactionImport

from ..links import changelist


def periodic_tasks() -> QuerySet[PeriodicTask]:
    """Every beat schedule with its timing, in one query."""
    return PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked").order_by("name")


def beat_admin_link() -> str:
    return changelist("django_celery_beat", "periodictask")


def last_heartbeat() -> str | None:
    """When beat and a worker last proved alive (``portal.tasks.heartbeat``)."""
    return cache.get("portal:last-heartbeat")


RUNS_SHOWN = 20


def settlement_runs() -> list[SettlementRun]:
    """The latest settlement runs with their progress and errors (one query)."""
    return list(
        SettlementRun.objects.select_related("started_by").order_by("-started_at", "-id")[:RUNS_SHOWN]
    )


def transaction_imports() -> list[TransactionImport]:
    """The latest staff imports of partner transaction files (one query)."""
    return list(
        TransactionImport.objects.select_related("partner", "created_by").order_by("-created_at", "-id")[
            :RUNS_SHOWN
        ]
    )
