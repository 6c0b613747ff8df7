"""Health and readiness: what ``GET /healthz`` and ``GET /readyz`` check.

``/healthz`` is liveness, cheap enough to poll every second: the database answers (one
``SELECT 1``), the cache stores and reads back, the broker accepts a connection. It never asks
the workers anything.

``/readyz`` is everything ``/healthz`` checks plus whether the installation can do its work
(docs/operations.md, *Health and alerts*):

- ``workers``: some worker answers, on each of ``READYZ_QUEUES``, that it consumes that queue
  (Celery's remote-control broadcast, ``core.workers``; it waits ``WORKER_INSPECT_TIMEOUT``);
- ``beat``: the last time beat sent a periodic task (django-celery-beat writes
  ``PeriodicTask.last_run_at`` when it syncs, every 3 minutes; the flushes run every minute),
  stale after ``READYZ_BEAT_STALE_MINUTES``;
- ``settlement``: the running settlement runs, how long ago the oldest started and how long the
  most idle one has finished no period. A queued settlement task belongs to a running run, so
  a run that has finished nothing for ``READYZ_SETTLEMENT_IDLE_MINUTES`` has tasks waiting with
  no worker taking them (or one period running that long). Measured in the database, it is
  the same on every broker (Redis lists carry no enqueue time, RabbitMQ cannot be peeked);
- ``migrations``: no migration is pending (the plan is computed until it is empty once, then
  never again in this process: code and migrations only change with a restart).

The answer is kept in the cache for ``READYZ_CACHE_SECONDS``, so a load balancer polling every
host does not send the workers a broadcast per poll. Neither answer carries a host name, a URL
or an exception's message: only check names, counts, ages and exception class names.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Max, Min
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu import Connection

from core.workers import queue_workers
from revenue.models import SettlementRun

logger = logging.getLogger(__name__)

Detail = dict[str, object]
READYZ_CACHE_KEY = "readyz:answer"


class NotReady(Exception):
    """A check that ran and found the service not ready; ``detail`` says what it found."""

    def __init__(self, detail: Detail) -> None:
        super().__init__()
        self.detail = detail


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("unexpected answer")


def check_cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("value not read back")
    cache.delete(key)


def check_broker() -> None:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    with Connection(settings.CELERY_BROKER_URL, transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_CHECK_TIMEOUT)


def check_workers() -> Detail:
    """Each queue with the number of workers that answered that they consume it."""
    found = queue_workers(list(settings.READYZ_QUEUES), timeout=settings.WORKER_INSPECT_TIMEOUT)
    detail: Detail = {"queues": {queue: len(workers) for queue, workers in found.items()}}
    missing = [queue for queue, workers in found.items() if not workers]
    if missing:
        raise NotReady({**detail, "missing": missing})
    return detail


def _age_seconds(at: datetime | None, now: datetime) -> int | None:
    return None if at is None else max(0, int((now - at).total_seconds()))


def check_beat() -> Detail:
    """When beat last sent a periodic task (one query)."""
    last = PeriodicTask.objects.aggregate(last=Max("last_run_at"))["last"]
    detail: Detail = {
        "last_run_at": last.isoformat() if last else None,
        "age_seconds": _age_seconds(last, timezone.now()),
    }
    if last is None or detail["age_seconds"] > settings.READYZ_BEAT_STALE_MINUTES * 60:  # type: ignore[operator]
        raise NotReady(detail)
    return detail


def check_settlement() -> Detail:
    """The running settlement runs: how many, the oldest's age, the longest without a period
    finished (one query)."""
    now = timezone.now()
    running = SettlementRun.objects.filter(status=SettlementRun.Status.RUNNING).aggregate(
        runs=Count("id"),
        started=Min("started_at"),
        moved=Min(Coalesce("progress_at", "started_at")),
    )
    detail: Detail = {
        "running_runs": running["runs"],
        "oldest_started_seconds_ago": _age_seconds(running["started"], now),
        "idle_seconds": _age_seconds(running["moved"], now),
    }
    idle = detail["idle_seconds"]
    if idle is not None and idle > settings.READYZ_SETTLEMENT_IDLE_MINUTES * 60:  # type: ignore[operator]
        raise NotReady(detail)
    return detail


class MigrationsApplied:
    """Whether every migration is applied, remembered once true (for the process's life)."""

    applied = False


def pending_migrations() -> int:
    """The number of migrations not applied on the default database (0 once all are)."""
    if MigrationsApplied.applied:
        return 0
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    MigrationsApplied.applied = pending == 0
    return pending


def check_migrations() -> Detail:
    pending = pending_migrations()
    if pending:
        raise NotReady({"pending": pending})
    return {"pending": 0}


Check = Callable[[], Detail | None]

CHECKS: dict[str, Check] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}

READINESS_CHECKS: dict[str, Check] = {
    **CHECKS,
    "workers": check_workers,
    "beat": check_beat,
    "settlement": check_settlement,
    "migrations": check_migrations,
}


def run_checks(checks: dict[str, Check]) -> tuple[bool, dict[str, Detail]]:
    """Run every check; a failing check is reported by name without internal details."""
    results: dict[str, Detail] = {}
    healthy = True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            detail = check() or {}
        except NotReady as found:
            healthy = False
            logger.warning("readiness check %s: not ready %s", name, found.detail)
            results[name] = {"status": "fail", **found.detail}
        except Exception as exc:  # noqa: BLE001 - a health check reports any failure
            healthy = False
            logger.warning("health check %s failed: %s", name, type(exc).__name__)
            results[name] = {"status": "fail", "error": type(exc).__name__}
        else:
            results[name] = {"status": "ok", **detail}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return healthy, results


def health_report() -> tuple[bool, dict[str, Detail]]:
    """Liveness: the database, the cache, the broker."""
    return run_checks(CHECKS)


def readiness_report() -> tuple[bool, dict[str, Detail]]:
    """Readiness: the liveness checks, the workers per queue, beat, settlement, migrations;
    the answer of the last ``READYZ_CACHE_SECONDS`` when there is one (a cache that fails is
    only not used: its own check reports it)."""
    try:
        kept = cache.get(READYZ_CACHE_KEY)
    except Exception:  # noqa: BLE001 - the cache check names the failure
        kept = None
    if kept is not None:
        return kept
    answer = run_checks(READINESS_CHECKS)
    try:
        cache.set(READYZ_CACHE_KEY, answer, timeout=settings.READYZ_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - idem
        logger.debug("readiness answer not cached")
    return answer
