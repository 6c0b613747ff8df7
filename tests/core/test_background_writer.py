"""``core.counters.BackgroundWriter.run_jobs``: the writer keeps its own database connection
while batches keep falling due, and lets it go when a round finds it idle or a write fails (a
connection per batch cost more than the batch: a new PostgreSQL server process, or on SQLite a
checkpoint of the write-ahead log each time the file's last connection closed)."""

from __future__ import annotations

import pytest
from django.db import connection

from core.counters import BackgroundWriter
from partners.models import Industry

# The writer closes its connection: outside the test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def writer(*jobs) -> BackgroundWriter:
    w = BackgroundWriter()
    for job in jobs:
        w.register(job)
    return w


def query() -> int:
    return Industry.objects.count()


def test_a_busy_round_keeps_the_connection_for_the_next_batch():
    w = writer(query)
    w.run_jobs(busy=True)
    opened = connection.connection
    assert opened is not None

    w.run_jobs(busy=True)

    assert connection.connection is opened  # the same connection, not a new one per batch


def test_an_idle_round_lets_the_connection_go():
    w = writer(query)
    w.run_jobs(busy=True)
    assert connection.connection is not None

    w.run_jobs(busy=False)

    assert connection.connection is None


def test_a_failed_write_lets_the_connection_go_even_when_busy(caplog):
    def broken() -> None:
        query()
        raise RuntimeError("database went away")

    w = writer(broken)
    w.run_jobs(busy=True)

    assert connection.connection is None
    assert "background write of API counts failed" in caplog.text
