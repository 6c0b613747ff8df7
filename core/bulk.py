"""Rows stored in bulk without a model instance per row: what the web process's background
writer does for the logs it buffers (the API access log, the offer log).

``rows_store(table, columns, rows)``: ``COPY`` on PostgreSQL, multi-row ``INSERT`` statements
elsewhere (SQLite). Each row is a sequence in ``columns`` order whose values the database takes
as they are: the caller converts what the vendor needs (``sqlite_time`` for an aware time on
SQLite, ``json.dumps`` for JSON). Measured on 300 access-log rows (docs/benchmarks.md): a
multi-row ``INSERT`` costs PostgreSQL ~60 µs a row, most of it psycopg splitting a query of
thousands of placeholders in the writer's thread, which holds the worker's GIL meanwhile;
``COPY`` ~15 µs. On SQLite a multi-row ``INSERT`` costs ~19 µs a row, ``executemany`` ~45 µs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from django.db import connection, transaction

# SQLite binds at most 32,766 values per statement (3.32 on); fewer rows per statement gain nothing.
_SQLITE_VALUES = 32_000
_ROWS_PER_INSERT = 500


def sqlite_time(moment: datetime, tz: tzinfo) -> str:
    """An aware time as SQLite stores a ``DateTimeField`` in the database's time zone ``tz``
    (``connection.timezone``, read once per batch: UTC unless the database says otherwise):
    naive text, as Django would adapt it, without its checks."""
    return str(moment.astimezone(tz).replace(tzinfo=None))


def rows_store(table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> int:
    """Store ``rows`` in ``table``, all or none; the number stored. Inside a caller's
    transaction it runs in a savepoint, so a refused batch (a month without a partition) leaves
    the transaction usable."""
    if not rows:
        return 0
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            _insert(cursor, table, names, len(columns), rows)
    return len(rows)


def _insert(cursor, table: str, names: str, width: int, rows: Sequence[Sequence]) -> None:
    per_statement = max(1, min(_ROWS_PER_INSERT, _SQLITE_VALUES // width))
    one = "(" + ", ".join(["%s"] * width) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params = [value for row in chunk for value in row]
        cursor.execute(f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}", params)  # noqa: S608 - our names
