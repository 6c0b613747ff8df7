"""Usage roll-ups and the API access log: the writes behind the metering of
``partners.api.counters`` and the retention prune."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.bulk import rows_store
from core.partitions import MonthlyPartitions, month_of, owner_connection

from ..models import ApiAccessLog, ApiUsage, Partner, PartnerAPIKey
from ..notifications import notify

logger = logging.getLogger(__name__)


def api_usage_upsert(*, rows: dict[tuple[str, int, str, str], list[int]]) -> int:
    """Add counts to ``ApiUsage``: ``{(key_id, partner_id, day, endpoint): [calls, errors]}``."""
    return key_counts_add(
        ApiUsage,
        names=("endpoint",),
        counts=("calls", "errors"),
        rows={(k, p, d, endpoint[:120]): c for (k, p, d, endpoint), c in rows.items()},
    )


def key_counts_add(model, *, names: tuple[str, ...], counts: tuple[str, ...], rows: dict) -> int:
    """Add per-key daily counts to ``model`` (unique on key, day and ``names``):
    ``{(key_id, partner_id, day, *names): [counts]}``. One ``INSERT … ON CONFLICT DO UPDATE``
    adding to the stored counts (PostgreSQL and SQLite share the syntax); a key deleted
    meanwhile is skipped."""
    if not rows:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ("key_id", "partner_id", "day", *names, *counts)
    added = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT (key_id, day, {', '.join(names)}) DO UPDATE SET {added}"
    )
    known = set(PartnerAPIKey.objects.filter(pk__in={k[0] for k in rows}).values_list("pk", flat=True))
    params = [(*key, *numbers) for key, numbers in sorted(rows.items()) if key[0] in known]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)


ACCESS_LOG_TABLE = ApiAccessLog._meta.db_table
# The order of a buffered access-log row (a tuple, streamed as it is); ``at`` first.
ACCESS_LOG_COLUMNS = (
    "at",
    "key_prefix",
    "partner_id",
    "method",
    "route",
    "path",
    "status",
    "latency_ms",
    "client_ip",
)


def api_access_log_write(*, rows: list[tuple]) -> int:
    """Store buffered access-log entries (tuples in ``ACCESS_LOG_COLUMNS`` order, ``at`` an
    aware time): ``COPY`` on PostgreSQL, multi-row ``INSERT``s on SQLite (``core.bulk``), no
    model instances. PostgreSQL: a row whose month has no partition yet creates it and the
    batch is written again."""
    if not rows:
        return 0

    def store() -> int:
        return rows_store(ACCESS_LOG_TABLE, ACCESS_LOG_COLUMNS, rows, times=(0,))

    if connection.vendor != "postgresql":
        return store()
    ACCESS_LOG_PARTITIONS.write(store, months=lambda: {month_of(row[0]) for row in rows})
    return len(rows)


# PostgreSQL: the log is partitioned by month of ``at`` (migration 0011).
ACCESS_LOG_PARTITIONS = MonthlyPartitions(ACCESS_LOG_TABLE)


class AccessLogMaintenance(NamedTuple):
    created: list[str]  # partitions created ahead (PostgreSQL)
    dropped: list[str]  # partitions dropped whole (PostgreSQL)
    deleted: int  # rows deleted (SQLite)


def api_access_log_maintain(*, now=None) -> AccessLogMaintenance:
    """Enforce ``API_ACCESS_LOG_RETENTION_DAYS`` (default 183, six months; beat, daily).
    PostgreSQL: create this month's and next month's partitions, and drop each month whose
    every entry is older than the retention — never a ``DELETE``; an entry is kept at least the
    retention and at most a month more. SQLite: delete the older entries."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        cutoff = now - timedelta(days=settings.API_ACCESS_LOG_RETENTION_DAYS)
        with owner_connection() as owner:  # only the table's owner may create and drop partitions
            created = ACCESS_LOG_PARTITIONS.ahead(now=now, months=2, using=owner)
            dropped = ACCESS_LOG_PARTITIONS.drop_older_than(cutoff, using=owner)
        logger.info("access log: %d partitions created, %d dropped", len(created), len(dropped))
        return AccessLogMaintenance(created, dropped, 0)
    return AccessLogMaintenance([], [], api_access_log_prune(now=now))


def api_access_log_prune(*, now=None) -> int:
    """Delete entries older than ``API_ACCESS_LOG_RETENTION_DAYS``, in batches so a large
    backlog never holds one long transaction: SQLite's retention (PostgreSQL drops months,
    ``api_access_log_maintain``)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.API_ACCESS_LOG_RETENTION_DAYS)
    deleted = 0
    while True:
        ids = list(ApiAccessLog.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:5000])
        if not ids:
            break
        deleted += ApiAccessLog.objects.filter(pk__in=ids).delete()[0]
    logger.info("access log pruned: %d entries older than %s", deleted, cutoff.isoformat())
    return deleted


def quota_threshold_notify(
    *, partner_id: int, threshold: int, used: int, quota: int, month: str, sandbox: bool = False
) -> None:
    """Tell the partner's technical team its API use this month reached ``threshold`` % of the
    quota (``sandbox``: of the sandbox quota, a notice of its own kind); once per partner,
    threshold and month (the notification's ``once`` key)."""
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        return
    notify(
        kind=f"{'sandbox_quota' if sandbox else 'quota'}.{threshold}",
        partner=partner,
        params={"used": f"{used:,}", "quota": f"{quota:,}", "month": month},
        once=month,
    )
