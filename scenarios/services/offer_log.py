"""The offer log: every answered offer, recorded without a database write on the request path.

``offer_quote`` appends one row per offer to ``offer_log`` (a ``core.counters.BufferedRows``
of this process); the process's background writer stores them in batches
(``offer_log_write``: ``COPY`` on PostgreSQL, multi-row ``INSERT``s on SQLite, ``core.bulk``) and the rest at exit.

On PostgreSQL ``scenarios_offer_log`` is partitioned by month of ``quoted_at`` (Asia/Shanghai
months, ``scenarios_offer_log_pYYYYMM``). ``offer_log_maintain`` (beat, daily; the management
command of the same name) creates the months ahead and drops whole months past
``OFFER_LOG_RETENTION_DAYS``; a write that finds its month missing creates it and retries.
On SQLite (the embedded default) the table is plain and retention is a ``DELETE``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.bulk import rows_store
from core.counters import BufferedRows
from core.partitions import MonthlyPartitions, month_of, owner_connection
from scenarios.models import OfferRecord

from .funnel import offer_funnel_count

logger = logging.getLogger(__name__)

TABLE = OfferRecord._meta.db_table
# The order of a buffered row (a tuple: cheap to build, streamed as is to COPY).
COLUMNS = (
    "offer_id",
    "quoted_at",
    "expires_at",
    "request_id",
    "partner_id",
    "key_prefix",
    "channel",
    "tryout",
    "scenario_id",
    "event",
    "product_code",
    "category",
    "segment",
    "amount",
    "currency",
    "amount_band",
    "tenor_months",
    "annual_rate",
    "apr",
    "price",
    "reward",
    "customer_ref",
    "consent_id",
    # Last: a sandbox key's offer (added with the sandbox; never counted, see ``funnel``).
    "sandbox",
)
_JSON = (COLUMNS.index("price"), COLUMNS.index("reward"))
_QUOTED_AT = COLUMNS.index("quoted_at")

# (upper bound exclusive, band) in yuan; the last band has no upper bound.
AMOUNT_BANDS: tuple[tuple[Decimal | None, str], ...] = (
    (Decimal(1_000), "<1k"),
    (Decimal(5_000), "1k-5k"),
    (Decimal(20_000), "5k-20k"),
    (Decimal(100_000), "20k-100k"),
    (None, "100k+"),
)


def amount_band(amount: Decimal) -> str:
    """The band of an asked amount, for the funnel's breakdown (``"5k-20k"``)."""
    for upper, band in AMOUNT_BANDS:
        if upper is None or amount < upper:
            return band
    raise AssertionError("the last band is open")  # pragma: no cover


def offer_log_write(rows: list[tuple]) -> int:
    """Store buffered offer rows (``COLUMNS`` order) and add them to the funnel's roll-ups, in
    one transaction; the number stored. PostgreSQL: one ``COPY``; a row whose month has no
    partition yet creates it and the batch is written again. SQLite: multi-row ``INSERT``s."""
    records = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    # The funnel's offer counts move in the same transaction as the log: both or neither.
    with transaction.atomic():
        if connection.vendor != "postgresql":
            _store(rows)
        else:
            # ``_store`` runs in a savepoint: a month without a partition is created, then again.
            PARTITIONS.write(lambda: _store(rows), months=lambda: {_month(row[_QUOTED_AT]) for row in rows})
        offer_funnel_count(records)
    return len(rows)


def _store(rows: list[tuple]) -> None:
    """The rows as ``bulk_create`` would store them (JSON dumped; on SQLite aware times as naive
    UTC text), without a model instance and a field's checks per value (``core.bulk``: one
    ``COPY`` in a savepoint on PostgreSQL)."""
    values = []
    for row in rows:
        value = list(row)
        for index in _JSON:
            if value[index] is not None:
                value[index] = json.dumps(value[index])
        values.append(value)
    rows_store(TABLE, COLUMNS, values, times=_TIMES)


_TIMES = (COLUMNS.index("quoted_at"), COLUMNS.index("expires_at"))


# Rows wait in this process (see ``core.counters.BufferedRows``); at most
# ``OFFER_LOG_BUFFER_MAX`` are kept while the database refuses them.
offer_log = BufferedRows(
    "offer-log", write=offer_log_write, batch_setting="OFFER_LOG_BATCH", keep=settings.OFFER_LOG_BUFFER_MAX
)


def offer_log_flush() -> int:
    """Write the offer rows waiting in this process; the number written."""
    return offer_log.drain()


# --------------------------------------------------------------------------------------
# Partitions (PostgreSQL) and retention: ``core.partitions``, shared with the API access log
# --------------------------------------------------------------------------------------
PARTITIONS = MonthlyPartitions(TABLE)
_month = month_of


def partition_name(month: date) -> str:
    return PARTITIONS.name(month)


def offer_log_partitions() -> dict[str, date]:
    """PostgreSQL: the existing monthly partitions, by name → their month."""
    return PARTITIONS.existing()


def offer_log_partitions_create(*, months: Iterable[date]) -> list[str]:
    """PostgreSQL: create the monthly partitions of ``months`` that do not exist yet; their names."""
    return PARTITIONS.create(months=months)


class OfferLogMaintenance(NamedTuple):
    created: list[str]  # partitions created ahead (PostgreSQL)
    dropped: list[str]  # partitions dropped whole (PostgreSQL)
    deleted: int  # rows deleted (SQLite)


def offer_log_prune(*, now: datetime | None = None, using=None) -> tuple[list[str], int]:
    """Enforce ``OFFER_LOG_RETENTION_DAYS``. PostgreSQL: drop each monthly partition whose every
    row is older than the retention (never a ``DELETE``), so a row is kept at least that long
    and at most a month more. SQLite: delete the older rows. ``(partitions dropped, rows
    deleted)``."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OFFER_LOG_RETENTION_DAYS)
    if connection.vendor != "postgresql":
        deleted, _by_model = OfferRecord.objects.filter(quoted_at__lt=cutoff).delete()
        return [], deleted
    return PARTITIONS.drop_older_than(cutoff, using=using), 0


def offer_log_maintain(*, now: datetime | None = None) -> OfferLogMaintenance:
    """Create the partitions of this month and the next ``OFFER_LOG_PARTITIONS_AHEAD`` − 1
    months, then enforce the retention (beat, daily)."""
    with owner_connection() as owner:  # only the table's owner may create and drop partitions
        created = PARTITIONS.ahead(
            now=now or timezone.now(), months=settings.OFFER_LOG_PARTITIONS_AHEAD, using=owner
        )
        dropped, deleted = offer_log_prune(now=now, using=owner)
    logger.info(
        "offer log: %d partitions created, %d dropped, %d rows deleted", len(created), len(dropped), deleted
    )
    return OfferLogMaintenance(created, dropped, deleted)
