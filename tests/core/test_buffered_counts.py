"""``core.counters.BufferedCounts``: where counts wait. Shared counts wait in Redis when the
cache is Redis (any web process may stop, beat drains them); ``in_process`` counts always wait
in the process that counted them and its background writer writes them, on Redis too, so
counting them costs no round trip."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from core import counters
from core.counters import BufferedCounts, counters_start

from ..caches import redis_cache


@pytest.fixture
def written():
    """Two buffers whose writes land in a list, taken out of the registry afterwards."""
    rows: list[tuple[str, dict]] = []
    shared = BufferedCounts("test-shared", width=2, write=lambda r: rows.append(("shared", r)) or len(r))
    local = BufferedCounts(
        "test-local", width=2, write=lambda r: rows.append(("local", r)) or len(r), in_process=True
    )
    yield shared, local, rows
    counters._buffers[:] = [b for b in counters._buffers if b not in (shared, local)]


def redis_hashes() -> list[bytes]:
    client = caches["default"]._cache.get_client()
    return sorted(client.scan_iter(match="*partners:counts:test-*"))


def test_on_redis_in_process_counts_wait_here_and_the_writer_writes_them(settings, written):
    shared, local, rows = written
    with redis_cache(settings, "bc"):
        counters_start()
        settings.API_METERING_FLUSH_SECONDS = 3600  # not due yet: they wait

        local.add((7, "2026-12-01"), (1, 2))
        local.add((7, "2026-12-01"), (1, 0))
        shared.add((7, "2026-12-01"), (1, 0))

        assert local.pending() is True
        assert shared.pending() is False  # in Redis, for beat
        assert [h.decode().rsplit(":", 2)[-2] for h in redis_hashes()] == ["test-shared"]

        settings.API_METERING_FLUSH_SECONDS = 0
        counters._drain_due()  # the background writer's round, once they are due

        assert rows == [("local", {("7", "2026-12-01"): [2, 2]})]
        assert local.pending() is False
        assert shared.drain() == 1  # beat's drain of the shared counts
        assert rows[-1] == ("shared", {("7", "2026-12-01"): [1, 0]})


def test_on_the_embedded_default_both_wait_in_the_process(settings, written):
    shared, local, rows = written
    counters_start()
    settings.API_METERING_FLUSH_SECONDS = 3600

    local.add((1,), (1, 1))
    shared.add((2,), (0, 1))

    assert counters.counters_backend() is counters._process
    assert local.pending()
    assert shared.pending()
    settings.API_METERING_FLUSH_SECONDS = 0
    counters._drain_due()
    assert sorted(rows) == [("local", {("1",): [1, 1]}), ("shared", {("2",): [0, 1]})]
