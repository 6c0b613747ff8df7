"""Atomic counters for rate limits, quotas and usage metering.

With Redis (``REDIS_URL``) every counter is a Redis ``INCR`` with ``EXPIRE … NX`` sent in one
pipeline per request: no read-then-write race between gunicorn workers, one round trip.
Usage counts go into one Redis hash (``HINCRBY``) that the periodic flush renames and drains
into ``ApiUsage`` (see ``partners.services.usage``); a counter lives in Redis until it is in the
database, so stopping a web worker loses nothing.

On the embedded default (local-memory cache) counters are the cache's atomic ``incr``/``add``
and usage is buffered in the web process and flushed to the database from the request path
every ``API_METERING_FLUSH_SECONDS`` and when the process exits.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)

METER_LIVE = "partners:meter:live"
METER_BATCH = "partners:meter:batch:"


_backend: list = []  # [(cache backend, raw client) or None], computed once per settings


def _redis():
    """``(cache backend, raw Redis client)`` when the default cache is Redis, else None."""
    if not _backend:
        backend = caches["default"]
        _backend.append(
            (backend, backend._cache.get_client(write=True)) if isinstance(backend, RedisCache) else None
        )
    return _backend[0]


def shared_cache() -> bool:
    """The default cache is shared by every process (Redis), not local memory."""
    return _redis() is not None


@receiver(setting_changed)
def _forget_backend(*, setting, **kwargs) -> None:
    if setting == "CACHES":
        _backend.clear()


class _LocalCounters:
    """Fixed-window counters in this process (the embedded default: the local-memory cache is
    per process too, so this is the same scope without pickling on every increment)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.values: dict[str, list] = {}  # name → [value, expires at (monotonic)]
        self.purged_at = time.monotonic()

    def bump(self, counters: list[tuple[str, int]]) -> list[int]:
        now = time.monotonic()
        out = []
        with self.lock:
            if now - self.purged_at > 60:
                self.values = {k: v for k, v in self.values.items() if v[1] > now}
                self.purged_at = now
            for name, ttl in counters:
                entry = self.values.get(name)
                if entry is None or entry[1] <= now:
                    entry = self.values[name] = [0, now + ttl]
                entry[0] += 1
                out.append(entry[0])
        return out

    def clear(self) -> None:
        with self.lock:
            self.values.clear()


local_counters = _LocalCounters()


def bump(counters: list[tuple[str, int]]) -> list[int]:
    """Increment each ``(name, ttl_seconds)`` counter by one; the new values, in order. A
    counter is created with its ttl on first use and never extended."""
    redis = _redis()
    if redis:
        backend, client = redis
        pipe = client.pipeline(transaction=False)
        for name, ttl in counters:
            full = backend.make_and_validate_key(name)
            pipe.incr(full)
            pipe.expire(full, ttl, nx=True)
        replies = pipe.execute()
        return [int(v) for v in replies[::2]]
    return local_counters.bump(counters)


# --------------------------------------------------------------------------------------
# Usage metering
# --------------------------------------------------------------------------------------
class _LocalMeter:
    """Usage counts buffered in this process (local-memory cache only)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending: dict[tuple[str, int, str, str], list[int]] = {}
        self.flushed_at = time.monotonic()

    def add(self, key_id: str, partner_id: int, day: str, endpoint: str, error: bool) -> None:
        with self.lock:
            counts = self.pending.setdefault((key_id, partner_id, day, endpoint), [0, 0])
            counts[0] += 1
            if error:
                counts[1] += 1
            due = time.monotonic() - self.flushed_at >= settings.API_METERING_FLUSH_SECONDS
        if due:
            flush_usage()

    def take(self) -> dict:
        with self.lock:
            pending, self.pending = self.pending, {}
            self.flushed_at = time.monotonic()
        return pending


local_meter = _LocalMeter()


def meter(*, key_id: str, partner_id: int, day: str, endpoint: str, error: bool) -> None:
    """Count one call (and one error when ``error``) of a key on an endpoint."""
    redis = _redis()
    if redis:
        backend, client = redis
        live = backend.make_and_validate_key(METER_LIVE)
        field = f"{key_id}|{partner_id}|{day}|{endpoint}"
        if error:
            pipe = client.pipeline(transaction=False)
            pipe.hincrby(live, field + "|c", 1)
            pipe.hincrby(live, field + "|e", 1)
            pipe.execute()
        else:
            client.hincrby(live, field + "|c", 1)
        return
    local_meter.add(key_id, partner_id, day, endpoint, error)


def _parse_redis_hash(data: dict) -> dict[tuple[str, int, str, str], list[int]]:
    rows: dict[tuple[str, int, str, str], list[int]] = {}
    for raw_field, raw_value in data.items():
        field = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
        head, _sep, kind = field.rpartition("|")
        key_id, partner_id, day, endpoint = head.split("|", 3)
        counts = rows.setdefault((key_id, int(partner_id), day, endpoint), [0, 0])
        counts[0 if kind == "c" else 1] += int(raw_value)
    return rows


def flush_usage() -> int:
    """Move every buffered count into ``ApiUsage``; the number of rows upserted."""
    from ..services.usage import api_usage_upsert

    redis = _redis()
    if not redis:
        pending = local_meter.take()
        if not pending:
            return 0
        try:
            return api_usage_upsert(rows=pending)
        except Exception:  # a database outage: put the counts back, try again later
            logger.exception("usage flush failed; %d rows kept for the next flush", len(pending))
            with local_meter.lock:
                for k, (calls, errors) in pending.items():
                    counts = local_meter.pending.setdefault(k, [0, 0])
                    counts[0] += calls
                    counts[1] += errors
            return 0

    backend, client = redis
    live = backend.make_and_validate_key(METER_LIVE)
    batch_prefix = backend.make_and_validate_key(METER_BATCH)
    lock = backend.make_and_validate_key("partners:meter:lock")
    # One flush at a time, or two could drain the same batch twice.
    if not client.set(lock, 1, nx=True, ex=120):
        return 0
    try:
        # Renaming is atomic: calls counted from now on go into a fresh hash.
        if client.exists(live):
            client.rename(live, batch_prefix + uuid.uuid4().hex)
        total = 0
        # Batches left by a flush that failed earlier are drained too.
        for batch in client.scan_iter(match=batch_prefix + "*"):
            rows = _parse_redis_hash(client.hgetall(batch))
            if rows:
                total += api_usage_upsert(rows=rows)
            client.delete(batch)
        return total
    finally:
        client.delete(lock)


# --------------------------------------------------------------------------------------
# Access log buffer
# --------------------------------------------------------------------------------------
class _AccessBuffer:
    """Access-log entries of this process. The request path only appends; a full or old buffer
    is written by a background thread of the process (``API_ACCESS_LOG_ASYNC``, on except in
    tests) so no request waits for the insert."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[dict] = []
        self.flushed_at = time.monotonic()
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0

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
            self._start_writer()
            self.wake.set()
        else:
            flush_access_log()

    def _start_writer(self) -> None:
        # One writer per process (a forked worker starts its own).
        if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
            return
        with self.lock:
            if self.thread is not None and self.thread.is_alive() and self.pid == os.getpid():
                return
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._write_forever, name="api-access-log", daemon=True)
            self.thread.start()

    def _write_forever(self) -> None:
        from django.db import connection

        while True:
            self.wake.wait(timeout=settings.API_ACCESS_LOG_FLUSH_SECONDS)
            self.wake.clear()
            try:
                flush_access_log()
            finally:
                connection.close()  # this thread's own connection

    def take(self) -> list[dict]:
        with self.lock:
            rows, self.rows = self.rows, []
            self.flushed_at = time.monotonic()
        return rows


access_buffer = _AccessBuffer()


def flush_access_log() -> int:
    from ..services.usage import api_access_log_write

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


def reset_buffers() -> None:
    """Forget everything buffered and counted in this process (tests)."""
    local_meter.take()
    access_buffer.take()
    local_counters.clear()
    from .auth import _local_keys, _local_partners, _touched

    _touched.clear()
    _local_keys.clear()
    _local_partners.clear()


@atexit.register
def _flush_at_exit() -> None:  # pragma: no cover - runs when a web process stops
    try:
        flush_access_log()
        flush_usage()
    except Exception:
        logger.exception("flush at exit failed")


def pending_locally() -> bool:
    """Usage counts wait in this process (local-memory cache)."""
    return bool(local_meter.pending)
