"""Usage metering and the access log of the open API: what the middleware records after every
call, never with a database write per request.

Usage per key, business day and endpoint is a ``core.counters.BufferedCounts`` (in Redis with
``REDIS_URL``, drained by beat; else pending in this process). Access-log entries wait in this
process's buffer and are written in batches by the process's background writer
(``core.counters.background_writer``), and when the process exits.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

from django.conf import settings

from core.counters import BufferedCounts, background_writer

from ..services.usage import api_access_log_write, api_usage_upsert

logger = logging.getLogger(__name__)


def _write_usage(rows: dict[tuple[str, ...], list[int]]) -> int:
    return api_usage_upsert(
        rows={
            (key_id, int(partner_id), day, endpoint): counts
            for (key_id, partner_id, day, endpoint), counts in rows.items()
        }
    )


# Calls and errors per key, partner, business day and endpoint → ``ApiUsage``.
usage_counts = BufferedCounts("meter", width=2, write=_write_usage)


def meter(*, key_id: str, partner_id: int, day: str, endpoint: str, error: bool) -> None:
    """Count one call (and one error when ``error``) of a key on an endpoint."""
    usage_counts.add((key_id, partner_id, day, endpoint), (1, 1 if error else 0))


def flush_usage() -> int:
    """Move every buffered usage count into ``ApiUsage``; the number of rows upserted."""
    return usage_counts.drain()


def pending_locally() -> bool:
    """Usage counts wait in this process (local-memory cache)."""
    return usage_counts.pending()


class _AccessBuffer:
    """Access-log entries of this process. The request path only appends; a full or old buffer
    is written by the process's background writer (``API_ACCESS_LOG_ASYNC``, on except in
    tests) so no request waits for the insert."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[dict] = []
        self.flushed_at = time.monotonic()

    def add(self, row: dict) -> None:
        with self.lock:
            self.rows.append(row)
            due = (
                len(self.rows) >= settings.API_ACCESS_LOG_BATCH
                or time.monotonic() - self.flushed_at >= settings.API_ACCESS_LOG_FLUSH_SECONDS
            )
        if not due:
            return
        if settings.API_ACCESS_LOG_ASYNC:
            background_writer.start()
            background_writer.wake.set()
        else:
            flush_access_log()

    def take(self) -> list[dict]:
        with self.lock:
            rows, self.rows = self.rows, []
            self.flushed_at = time.monotonic()
        return rows


access_buffer = _AccessBuffer()


def flush_access_log() -> int:
    rows = access_buffer.take()
    if not rows:
        return 0
    try:
        return api_access_log_write(rows=rows)
    except Exception:
        logger.exception("access log flush failed; %d entries kept for the next flush", len(rows))
        with access_buffer.lock:
            access_buffer.rows[:0] = rows[-10_000:]
        return 0


background_writer.register(flush_access_log)
# Registered after ``core.counters``' own exit drain, so it runs before it (as before the move).
atexit.register(flush_access_log)
