"""Atomic counters for rate limits, quotas and usage metering.

With Redis (``REDIS_URL``) every counter is a Redis ``INCR`` with ``EXPIRE … NX`` sent in one
pipeline per request: no read-then-write race between gunicorn workers, one round trip.
Counts that end in the database (usage per key and endpoint, offer quotes per scenario) are
``BufferedCounts``: one Redis hash (``HINCRBY``) that the periodic drain renames and writes, so
a count lives in Redis until it is in the database and stopping a web worker loses nothing.

On the embedded default (local-memory cache) rate counters live in this process, and the
buffered counts wait in the web process and are written from the request path every
``API_METERING_FLUSH_SECONDS`` and when the process exits.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)


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
# Buffered counts: usage metering, offer quotes
# --------------------------------------------------------------------------------------
class BufferedCounts:
    """Counts added on the request path and written to the database later, never a database
    write per request.

    ``add(key, counts)`` adds a row of ``width`` numbers under a key (a tuple of ids, dates and
    names without ``|``). With Redis every number is one ``HINCRBY`` into one live hash; ``drain``
    renames it atomically (counts made meanwhile go into a fresh one) and writes the batch, so a
    count lives in Redis until it is in the database and no web worker can lose it. On the
    embedded default the rows wait in this process and are drained when
    ``API_METERING_FLUSH_SECONDS`` have passed, by the beat task, and when the process exits.
    ``write(rows)`` receives ``{key as a tuple of str: [numbers]}`` and stores them, adding to
    what is stored; it returns how many rows it wrote.
    """

    def __init__(self, name: str, *, width: int, write: Callable[[dict[tuple[str, ...], list[int]]], int]):
        self.name = name
        self.width = width
        self.write = write
        self.lock = threading.Lock()
        self.pending: dict[tuple[str, ...], list[int]] = {}
        self.flushed_at = time.monotonic()
        _buffers.append(self)

    def _redis_names(self, backend) -> tuple[str, str, str]:
        """The live hash, batch prefix and lock keys: made once per cache backend (the hot path
        only reads them)."""
        names = self.__dict__.get("_names")
        if names is None or names[0] is not backend:
            base = f"partners:counts:{self.name}:"
            names = (
                backend,
                tuple(backend.make_and_validate_key(base + p) for p in ("live", "batch:", "lock")),
            )
            self._names = names
        return names[1]

    def add(self, key: tuple, counts: Sequence[int]) -> None:
        redis = _redis()
        if redis:
            backend, client = redis
            live = self._redis_names(backend)[0]
            field = "|".join(str(part) for part in key)
            numbers = [(index, n) for index, n in enumerate(counts) if n]
            if len(numbers) == 1:
                client.hincrby(live, f"{field}|{numbers[0][0]}", numbers[0][1])
            elif numbers:
                pipe = client.pipeline(transaction=False)
                for index, n in numbers:
                    pipe.hincrby(live, f"{field}|{index}", n)
                pipe.execute()
            return
        row_key = tuple(str(part) for part in key)
        with self.lock:
            row = self.pending.setdefault(row_key, [0] * self.width)
            for index, n in enumerate(counts):
                row[index] += n
            due = time.monotonic() - self.flushed_at >= settings.API_METERING_FLUSH_SECONDS
        if settings.API_ACCESS_LOG_ASYNC:
            # The process's background writer drains it when due, also while no request comes.
            access_buffer.start_writer()
        elif due:
            self.drain()

    def drain_if_due(self) -> None:
        if self.pending and time.monotonic() - self.flushed_at >= settings.API_METERING_FLUSH_SECONDS:
            self.drain()

    def take(self) -> dict[tuple[str, ...], list[int]]:
        with self.lock:
            pending, self.pending = self.pending, {}
            self.flushed_at = time.monotonic()
        return pending

    def drain(self) -> int:
        """Write every buffered count to the database; the number of rows written."""
        redis = _redis()
        if not redis:
            pending = self.take()
            if not pending:
                return 0
            try:
                return self.write(pending)
            except Exception:  # a database outage: put the counts back, try again later
                logger.exception("%s: flush failed; %d rows kept for the next one", self.name, len(pending))
                with self.lock:
                    for key, numbers in pending.items():
                        row = self.pending.setdefault(key, [0] * self.width)
                        for index, n in enumerate(numbers):
                            row[index] += n
                return 0

        backend, client = redis
        live, batch_prefix, lock = self._redis_names(backend)
        # One drain at a time, or two could write the same batch twice.
        if not client.set(lock, 1, nx=True, ex=120):
            return 0
        try:
            if client.exists(live):
                client.rename(live, batch_prefix + uuid.uuid4().hex)
            total = 0
            # Batches left by a drain that failed earlier are written too.
            for batch in client.scan_iter(match=batch_prefix + "*"):
                rows = self._parse(client.hgetall(batch))
                if rows:
                    total += self.write(rows)
                client.delete(batch)
            return total
        finally:
            client.delete(lock)

    def _parse(self, data: dict) -> dict[tuple[str, ...], list[int]]:
        rows: dict[tuple[str, ...], list[int]] = {}
        for raw_field, raw_value in data.items():
            field = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
            head, _sep, index = field.rpartition("|")
            row = rows.setdefault(tuple(head.split("|")), [0] * self.width)
            row[int(index)] += int(raw_value)
        return rows


_buffers: list[BufferedCounts] = []


def _write_usage(rows: dict[tuple[str, ...], list[int]]) -> int:
    from ..services.usage import api_usage_upsert

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


# --------------------------------------------------------------------------------------
# Access log buffer
# --------------------------------------------------------------------------------------
class _AccessBuffer:
    """Access-log entries of this process. The request path only appends; a full or old buffer
    is written by a background thread of the process (``API_ACCESS_LOG_ASYNC``, on except in
    tests) so no request waits for the insert. On the embedded default the same thread drains
    the process's ``BufferedCounts`` when due."""

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
            self.start_writer()
            self.wake.set()
        else:
            flush_access_log()

    def start_writer(self) -> None:
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
            if not settings.API_ACCESS_LOG_ASYNC:  # switched off since it started (tests)
                continue
            try:
                flush_access_log()
                if not shared_cache():  # buffered counts of this process (with Redis: beat)
                    for buffer in _buffers:
                        buffer.drain_if_due()
            except Exception:
                logger.exception("background write of API counts failed")
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
    for buffer in _buffers:
        buffer.take()
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
        for buffer in _buffers:
            buffer.drain()
    except Exception:
        logger.exception("flush at exit failed")


def pending_locally() -> bool:
    """Usage counts wait in this process (local-memory cache)."""
    return bool(usage_counts.pending)
