"""The offer side of the funnel's roll-ups (``OfferFunnelDaily``, ``OfferCustomerDaily``).

Offers are counted where they are stored: ``offer_funnel_count`` adds a batch's offers to the
roll-ups in the same database transaction as the offer log's batch write (``offer_log_write``),
so the count is exact whenever the log is (both land, or neither). The batch is already in this
process's memory, so it is grouped here and written as one upsert per table
(``INSERT … ON CONFLICT … DO UPDATE SET offers = offers + excluded.offers``), never a read.

``offer_funnel_offers_rebuild`` recomputes the counts of a range of days straight from the log
(``INSERT … SELECT``), for ``manage.py funnel_rebuild``. On PostgreSQL it first locks the
roll-ups against the writers' upserts (``SHARE ROW EXCLUSIVE``): a batch committed before the
lock is in the log it reads, a batch waiting on the lock adds its offers after the rebuild.

What became of the offers (taken, gross, reward cost) is the ledger's side:
``revenue.services.funnel``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from scenarios.models import OfferCustomerDaily, OfferFunnelDaily, OfferRecord

FUNNEL_TABLE = OfferFunnelDaily._meta.db_table
CUSTOMER_TABLE = OfferCustomerDaily._meta.db_table
LOG_TABLE = OfferRecord._meta.db_table
# The dimensions of each roll-up (their unique key, day first).
FUNNEL_KEY = ("day", "partner_id", "scenario_id", "product_code", "segment", "channel", "amount_band")
CUSTOMER_KEY = ("day", "partner_id", "customer_ref", "scenario_id", "product_code")
UPSERT_CHUNK = 500


def business_day_start(day: date) -> datetime:
    """The first instant of a business day (Asia/Shanghai)."""
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())


def business_day_window(day: date) -> list:
    """``[first instant, first instant of the next day)`` of a business day, as hand-written SQL
    takes them (SQLite compares the UTC text Django stores)."""
    return [
        connection.ops.adapt_datetimefield_value(business_day_start(day)),
        connection.ops.adapt_datetimefield_value(business_day_start(day + timedelta(days=1))),
    ]


def business_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def rollup_upsert(table: str, key: Sequence[str], values: Sequence[str], rows: Iterable[tuple], *, add: bool):
    """Insert ``rows`` (``key`` then ``values`` columns) into ``table``; on a key already there,
    add the values to the stored ones (``add``) or replace them. One statement per 500 rows."""
    rows = list(rows)
    columns = (*key, *values)
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    if add:
        updates = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values)
    else:
        updates = ", ".join(f"{v} = excluded.{v}" for v in values)
    with connection.cursor() as cursor:
        for index in range(0, len(rows), UPSERT_CHUNK):
            chunk = rows[index : index + UPSERT_CHUNK]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(chunk))} "  # noqa: S608 - our names only
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}",
                [value for row in chunk for value in row],
            )


def offer_funnel_count(records: Iterable[dict]) -> int:
    """Add offers (dicts of ``OfferRecord`` columns, as the writer has them) to the roll-ups;
    try-outs are left out. Call inside the transaction that stores them in the log. The number
    of offers counted."""
    funnel: Counter[tuple] = Counter()
    customers: Counter[tuple] = Counter()
    tz = timezone.get_current_timezone()  # once, not per offer
    for record in records:
        if record["tryout"] or record.get("sandbox"):
            continue
        day = record["quoted_at"].astimezone(tz).date()
        funnel[
            (
                day,
                record["partner_id"],
                record["scenario_id"],
                record["product_code"],
                record["segment"] or "",
                record["channel"],
                record["amount_band"],
            )
        ] += 1
        if record["customer_ref"]:
            customers[
                (
                    day,
                    record["partner_id"],
                    record["customer_ref"],
                    record["scenario_id"],
                    record["product_code"],
                )
            ] += 1
    if funnel:
        rollup_upsert(FUNNEL_TABLE, FUNNEL_KEY, ("offers",), ((*k, n) for k, n in funnel.items()), add=True)
    if customers:
        rollup_upsert(
            CUSTOMER_TABLE, CUSTOMER_KEY, ("offers",), ((*k, n) for k, n in customers.items()), add=True
        )
    return sum(funnel.values())


def rollups_lock() -> None:
    """PostgreSQL: hold the writers' upserts until this transaction ends (see the module)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {FUNNEL_TABLE}, {CUSTOMER_TABLE} IN SHARE ROW EXCLUSIVE MODE")


def offer_funnel_offers_rebuild(*, start: date, end: date) -> int:
    """Rebuild the rows of business days ``start``…``end`` with their offer counts from the log
    (call inside a transaction, after ``rollups_lock``, then recompute their sales: the rows
    are deleted and written again with no sales). The number of offers counted."""
    OfferFunnelDaily.objects.filter(day__gte=start, day__lte=end).delete()
    OfferCustomerDaily.objects.filter(day__gte=start, day__lte=end).delete()
    with connection.cursor() as cursor:
        for day in business_days(start, end):
            window = [day, *business_day_window(day)]
            dims = "partner_id, scenario_id, product_code, segment, channel, amount_band"
            cursor.execute(
                f"""INSERT INTO {FUNNEL_TABLE} (day, {dims}, offers, taken, gross_amount, reward_cost)
                SELECT %s, {dims}, COUNT(*), 0, 0, 0 FROM {LOG_TABLE}
                WHERE quoted_at >= %s AND quoted_at < %s AND NOT tryout AND NOT sandbox
                GROUP BY {dims}
                ON CONFLICT ({", ".join(FUNNEL_KEY)}) DO UPDATE SET offers = excluded.offers""",  # noqa: S608
                window,
            )
            cdims = "partner_id, customer_ref, scenario_id, product_code"
            cursor.execute(
                f"""INSERT INTO {CUSTOMER_TABLE} (day, {cdims}, offers, taken)
                SELECT %s, {cdims}, COUNT(*), 0 FROM {LOG_TABLE}
                WHERE quoted_at >= %s AND quoted_at < %s AND NOT tryout AND NOT sandbox AND customer_ref <> ''
                GROUP BY {cdims}
                ON CONFLICT ({", ".join(CUSTOMER_KEY)}) DO UPDATE SET offers = excluded.offers""",  # noqa: S608
                window,
            )
    counted = OfferFunnelDaily.objects.filter(day__gte=start, day__lte=end).aggregate(n=Sum("offers"))
    return counted["n"] or 0
