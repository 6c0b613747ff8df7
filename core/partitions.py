"""Monthly range partitions of an append-only log on PostgreSQL, and retention by dropping them.

A log table partitioned ``BY RANGE`` of a time column gets one partition per business month
(Asia/Shanghai, the current time zone), named ``<table>_pYYYYMM``. ``MonthlyPartitions`` creates
the months a write or the daily maintenance needs and drops every month whose last instant is
older than a cutoff: a row is kept at least the retention and at most a month more, and
retention never runs a ``DELETE`` (no dead rows, no long transaction, no vacuum debt).

On SQLite (the embedded default) the tables are plain and each log keeps its ``DELETE``; the
methods here do nothing there. Used by the offer log (``scenarios.services.offer_log``) and the
API access log (``partners.services.usage``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import environ
import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, connections
from django.utils import timezone

# The owner's login and where to reach the server; the database stays the app's (the test
# runner renames it), as ``migrate`` does it (``portal.management.commands.migrate``).
OWNER_KEYS = ("USER", "PASSWORD", "HOST", "PORT")
OWNER_ALIAS = "partition-owner"


@contextmanager
def owner_connection() -> Iterator:
    """The connection that may create and drop partitions. Only a table's owner may, and in
    production the app's role owns none (``MIGRATION_DATABASE_URL`` names the owner's role,
    docs/operations.md): with it set, a connection of its own as the owner, in autocommit, closed
    afterwards; else the app's connection. For the daily maintenance, outside any request (a
    second connection waiting on a lock the app's own transaction holds would wait forever)."""
    if not settings.MIGRATION_DATABASE_URL or connection.vendor != "postgresql":
        yield connection
        return
    owner = environ.Env.db_url_config(settings.MIGRATION_DATABASE_URL)
    app = connections["default"]
    params = {**app.settings_dict, **{key: owner.get(key) for key in OWNER_KEYS}}
    wrapper = type(app)(params, alias=OWNER_ALIAS)
    connections[OWNER_ALIAS] = wrapper  # Django's cursor wrappers look a connection up by alias
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[OWNER_ALIAS]


def month_of(moment: datetime) -> date:
    """The business month (its first day) of an aware instant."""
    return timezone.localtime(moment).date().replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_start(month: date) -> datetime:
    """The first instant of a business month."""
    return datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` through ``last`` (first days), in order."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


class MonthlyPartitions:
    """The monthly partitions of ``table`` (partitioned by range of one time column)."""

    def __init__(self, table: str):
        self.table = table
        self._pattern = re.compile(rf"^{re.escape(table)}_p(\d{{4}})(\d{{2}})$")

    def name(self, month: date) -> str:
        return f"{self.table}_p{month:%Y%m}"

    def existing(self, using=None) -> dict[str, date]:
        """PostgreSQL: the existing monthly partitions, by name → their month."""
        conn = using or connection
        if conn.vendor != "postgresql":
            return {}
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
                [self.table],
            )
            names = [name for (name,) in cursor.fetchall()]
        out = {}
        for name in names:
            match = self._pattern.match(name)
            if match:
                out[name] = date(int(match[1]), int(match[2]), 1)
        return out

    def create(self, *, months: Iterable[date], using=None) -> list[str]:
        """PostgreSQL: create the partitions of ``months`` that do not exist yet; their names."""
        conn = using or connection
        if conn.vendor != "postgresql":
            return []
        existing = self.existing(using=conn)
        created = []
        with conn.cursor() as cursor:
            for month in sorted({m.replace(day=1) for m in months}):
                name = self.name(month)
                if name in existing:
                    continue
                # Only our own names and ISO timestamps go into the text (DDL takes no parameters).
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {self.table} FOR VALUES "
                    f"FROM ('{month_start(month).isoformat()}') TO ('{month_start(next_month(month)).isoformat()}')"
                )
                created.append(name)
        return created

    def write(self, write: Callable[[], object], *, months: Callable[[], Iterable[date]]) -> None:
        """``write()`` the rows; when PostgreSQL refuses one because its month has no partition
        (a check violation, raw from ``COPY`` or wrapped by Django), create ``months()`` and
        write again. ``write`` must leave the connection usable when refused (autocommit, or
        a savepoint of its own)."""
        try:
            write()
        except (psycopg.errors.CheckViolation, IntegrityError) as error:
            cause = error if isinstance(error, psycopg.errors.CheckViolation) else error.__cause__
            if not isinstance(cause, psycopg.errors.CheckViolation):
                raise
            self.create(months=months())
            write()

    def ahead(self, *, now: datetime, months: int, using=None) -> list[str]:
        """Create this month's partition and those of the next ``months`` − 1 months."""
        wanted = [month_of(now)]
        for _ in range(max(months, 1) - 1):
            wanted.append(next_month(wanted[-1]))
        return self.create(months=wanted, using=using)

    def drop_older_than(self, cutoff: datetime, using=None) -> list[str]:
        """PostgreSQL: drop each partition whose every row is older than ``cutoff``; their names."""
        conn = using or connection
        dropped = []
        with conn.cursor() as cursor:
            for name, month in sorted(self.existing(using=conn).items(), key=lambda item: item[1]):
                if month_start(next_month(month)) <= cutoff:
                    cursor.execute(f"DROP TABLE {name}")
                    dropped.append(name)
        return dropped
