"""Rows stored in bulk without a model instance per row: what the web process's background
writer does for the logs it buffers (the API access log, the offer log).

``rows_store(table, columns, rows, times=...)``: ``COPY`` on PostgreSQL, multi-row ``INSERT``
statements elsewhere (SQLite). Each row is a sequence in ``columns`` order whose values the
database takes as they are, but for the aware times at the indexes ``times``, which SQLite
stores as naive text in the database's time zone (converted here, once per batch; the caller
dumps JSON itself). Measured on 300 access-log rows (docs/benchmarks.md): a
multi-row ``INSERT`` costs PostgreSQL ~60 µs a row, most of it psycopg splitting a query of
thousands of placeholders in the writer's thread, which holds the worker's GIL meanwhile;
``COPY`` ~15 µs. On SQLite a multi-row ``INSERT`` costs ~19 µs a row, ``executemany`` ~45 µs.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction

# SQLite binds at most 32,766 values per statement (3.32 on); fewer rows per statement gain nothing.
_SQLITE_VALUES = 32_000
_ROWS_PER_INSERT = 500


def rows_store(
    table: str, columns: Sequence[str], rows: Sequence[Sequence], *, times: Sequence[int] = ()
) -> int:
    """Store ``rows`` in ``table``, all or none; the number stored. Inside a caller's
    transaction it runs in a savepoint, so a refused batch (a month without a partition) leaves
    the transaction usable."""
    if not rows:
        return 0
    if times and connection.vendor != "postgresql":
        rows = _sqlite_times(rows, times)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            _insert(cursor, table, names, len(columns), rows)
    return len(rows)


def _sqlite_times(rows: Sequence[Sequence], times: Sequence[int]) -> list[list]:
    """The rows with each aware time as SQLite stores a ``DateTimeField``: naive text in the
    database's time zone (UTC unless it says otherwise), as Django adapts it, without its
    checks per value."""
    tz = connection.timezone
    out = []
    for row in rows:
        value = list(row)
        for index in times:
            value[index] = str(value[index].astimezone(tz).replace(tzinfo=None))
        out.append(value)
    return out


def _insert(cursor, table: str, names: str, width: int, rows: Sequence[Sequence]) -> None:
    per_statement = max(1, min(_ROWS_PER_INSERT, _SQLITE_VALUES // width))
    one = "(" + ", ".join(["%s"] * width) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        params = [value for row in chunk for value in row]
        cursor.execute(f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}", params)  # noqa: S608 - our names
