"""``core.bulk.rows_store``: the logs' bulk writer (COPY on PostgreSQL, multi-row INSERTs on
SQLite), exact values, several statements per batch, all or none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import IntegrityError

from core.bulk import rows_store
from core.partitions import month_of
from partners.models import ApiAccessLog
from partners.services.usage import ACCESS_LOG_COLUMNS, ACCESS_LOG_PARTITIONS, ACCESS_LOG_TABLE

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)


def rows(n: int, *, status: int = 200) -> list[tuple]:
    return [
        (AT + timedelta(seconds=i), "fnk_bulk", None, "GET", "me/", f"/{i}", status, i, "10.0.0.1")
        for i in range(n)
    ]


@pytest.fixture(autouse=True)
def _month():
    ACCESS_LOG_PARTITIONS.create(months=[month_of(AT)])  # PostgreSQL; nothing on SQLite


def test_a_batch_larger_than_one_statement_is_stored_exactly():
    # 1,201 rows: three INSERTs of at most 500 on SQLite, one COPY on PostgreSQL.
    assert rows_store(ACCESS_LOG_TABLE, ACCESS_LOG_COLUMNS, rows(1201), times=(0,)) == 1201

    stored = ApiAccessLog.objects.filter(key_prefix="fnk_bulk").order_by("latency_ms")
    assert stored.count() == 1201
    last = stored.last()
    assert (last.at, last.path, last.status, last.latency_ms, last.client_ip, last.partner_id) == (
        AT + timedelta(seconds=1200), "/1200", 200, 1200, "10.0.0.1", None,
    )  # fmt: skip


def test_a_refused_row_leaves_nothing_of_its_batch():
    batch = rows(1000) + rows(1, status=-1)  # the last statement breaks the status check
    # SQLite's INSERT comes through Django (its IntegrityError); PostgreSQL's COPY raises
    # psycopg's own (``core.partitions.MonthlyPartitions.write`` reads both).
    with pytest.raises((IntegrityError, psycopg.IntegrityError)):
        rows_store(ACCESS_LOG_TABLE, ACCESS_LOG_COLUMNS, batch, times=(0,))

    assert not ApiAccessLog.objects.filter(key_prefix="fnk_bulk").exists()


def test_nothing_to_store_is_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_store(ACCESS_LOG_TABLE, ACCESS_LOG_COLUMNS, []) == 0
