"""Counters shared by the processes of the site: fixed-window counters (rate limits, quotas,
failed authentications), counts buffered on the request path and written to the database in
batches (``BufferedCounts``: API usage, offer quotes), and rows buffered the same way
(``BufferedRows``: the API access log, the offer log).

One backend object does both, chosen once when the process starts (``counters_start``, called
by ``portal.apps``), never per call:

- ``RedisCounters`` when the default cache is Redis (``REDIS_URL``): every counter is an
  ``INCR`` with ``EXPIRE … NX``, all of a request's counters in one pipeline (no race between
  gunicorn workers, one round trip), with the buffered counts ``bump`` is given (the open API's
  usage count rides with its rate limits); a buffered count is a ``HINCRBY`` into one live hash that
  the periodic drain (beat) renames and writes, so a count stays in Redis until it is in the
  database and stopping a web worker loses nothing.
- ``LocalCounters`` on the embedded default (local-memory cache, one per process): counters in
  this process, buffered counts pending in this process and written by the process's background
  writer every ``API_METERING_FLUSH_SECONDS`` (inline when ``API_ACCESS_LOG_ASYNC`` is off), by
  the beat task, and when the process exits.
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
from django.db import connection
from redis.exceptions import NoScriptError

logger = logging.getLogger(__name__)

Rows = dict[tuple[str, ...], list[int]]
# What ``bump`` adds to buffered counts with the counters: ``(buffer, key, numbers)``.
Count = tuple["BufferedCounts", tuple, Sequence[int]]


class BufferedCounts:
    """Counts added on the request path and written to the database later, never a database
    write per request.

    ``add(key, counts)`` adds a row of ``width`` numbers under a key (a tuple of ids, dates and
    names without ``|``). ``write(rows)`` receives ``{key as a tuple of str: [numbers]}`` and
    stores them, adding to what is stored; it returns how many rows it wrote. ``drain()``
    writes what is buffered (beat, every minute). Where the counts wait is the backend's
    business (see the module docstring), unless ``in_process``: then they always wait in this
    process and its background writer writes them, as ``BufferedRows`` do, whatever the
    backend. That is for counts added apart from the hot path's one Redis command (an ``add``
    on Redis is a round trip of its own), which may be lost in a crash as the rows are.
    """

    def __init__(self, name: str, *, width: int, write: Callable[[Rows], int], in_process: bool = False):
        self.name = name
        self.width = width
        self.write = write
        self.in_process = in_process
        _buffers.append(self)

    def _store(self) -> CountersBackend:
        return _process if self.in_process else _backend

    def add(self, key: tuple, counts: Sequence[int]) -> None:
        self._store().add(self, key, counts)

    def drain(self) -> int:
        """Write every buffered count to the database; the number of rows written."""
        return self._store().drain(self)

    def pending(self) -> bool:
        """Counts wait in this process's memory (the embedded default, or ``in_process``)."""
        return self._store().pending(self)


_buffers: list[BufferedCounts] = []


# The open API's hot path in one Redis command (``RedisCounters.read_and_bump``). KEYS: the keys
# to read, then the counters, then one buffered-count hash per increment; ARGV: how many keys to
# read, how many counters, each counter's ttl, then a field and a number per increment. Answers
# the values read, then each counter's new value. A script runs whole, so the reads and the
# increments see the same instant; it needs a single Redis (not a cluster), as the rest does.
HOT_PATH_SCRIPT = """
local reads, counters = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
if reads > 0 then out = redis.call('MGET', unpack(KEYS, 1, reads)) end
for i = 1, counters do
  local key = KEYS[reads + i]
  local value = redis.call('INCR', key)
  out[reads + i] = value
  -- Created by this INCR: its ttl (a script runs whole, so no counter is left without one).
  if value == 1 then redis.call('EXPIRE', key, ARGV[2 + i]) end
end
local field = 3 + counters
for i = reads + counters + 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], ARGV[field], ARGV[field + 1])
  field = field + 2
end
return out
"""


class HotPathReply:
    """The reply of ``RedisCounters.read_and_bump``, sent but not yet read. ``values()`` reads it
    once: ``(values read, new counter values)``; ``discard()`` reads and drops a reply nobody
    asked for, so the connection stays in step with its replies."""

    def __init__(self, backend: RedisCounters, connection, reads: int, keys: list, args: list):
        self.backend = backend
        self.connection = connection
        self.reads = reads
        self.keys = keys
        self.args = args
        self.result: tuple[list, list[int]] | None = None

    def _read(self):
        connection, self.connection = self.connection, None
        try:
            return connection.read_response()
        except NoScriptError:  # a restarted Redis: the script loads, and runs again (it did not run)
            return self.backend.script(keys=self.keys, args=self.args, client=self.backend.client)
        except BaseException:
            connection.disconnect()  # out of step with its replies: the next call connects again
            raise

    def values(self) -> tuple[list, list[int]]:
        if self.result is None:
            reply = self._read()
            self.result = reply[: self.reads], [int(v) for v in reply[self.reads :]]
        return self.result

    def discard(self) -> None:
        if self.connection is not None:
            self._read()


class RedisCounters:
    """Counters in the Redis of the default cache, shared by every process."""

    shared = True

    def __init__(self, cache: RedisCache):
        self.cache = cache
        self.client = cache._cache.get_client(write=True)
        self.names: dict[str, tuple[str, str, str]] = {}
        self.script = self.client.register_script(HOT_PATH_SCRIPT)
        self.local = threading.local()

    def bump(self, counters: list[tuple[str, int]], counts: Sequence[Count] = ()) -> list[int]:
        pipe = self.client.pipeline(transaction=False)
        for name, ttl in counters:
            full = self.cache.make_and_validate_key(name)
            pipe.incr(full)
            pipe.expire(full, ttl, nx=True)
        for buffer, key, numbers in counts:
            self._hincrby(pipe, buffer, key, numbers)
        replies = pipe.execute()
        return [int(v) for v in replies[: 2 * len(counters) : 2]]

    def read_and_bump(
        self, keys: list, counters: list[tuple[str, int]], counts: Sequence[Count] = ()
    ) -> HotPathReply:
        """``GET`` each of ``keys`` (full Redis keys, read as stored) and ``bump`` the counters
        and counts, all in one command (``HOT_PATH_SCRIPT``: one round trip, one reply to
        parse). The command is sent at once and its reply read when ``HotPathReply.values`` is
        asked, so the worker goes on with the request while Redis answers."""
        # ``make_key``: the names are ours (``partners.keycache``), nothing to validate per call.
        names = [self.cache.make_key(name) for name, _ttl in counters]
        fields = []
        for live, field, n in self._increments(counts):
            names.append(live)
            fields += (field, n)
        all_keys = [*keys, *names]
        args = [len(keys), len(counters), *(ttl for _name, ttl in counters), *fields]
        connection = self._hot_connection()
        try:
            connection.send_command("EVALSHA", self.script.sha, len(all_keys), *all_keys, *args)
        except BaseException:
            connection.disconnect()  # the next call connects again
            raise
        return HotPathReply(self, connection, len(keys), all_keys, args)

    def _hot_connection(self):
        """This thread's own connection for the hot path: no pool to take it from and give it
        back to on every call (a request reads its reply before the next is sent). Made in the
        process that uses it, never inherited across a fork."""
        held = getattr(self.local, "connection", None)
        if held is None or held[1] != os.getpid():
            pool = self.client.connection_pool
            held = self.local.connection = (pool.connection_class(**pool.connection_kwargs), os.getpid())
        return held[0]

    def unbump(self, counters: list[tuple[str, int]], counts: Sequence[Count] = ()) -> None:
        pipe = self.client.pipeline(transaction=False)
        for name, _ttl in counters:
            pipe.decr(self.cache.make_and_validate_key(name))
        for buffer, key, numbers in counts:
            self._hincrby(pipe, buffer, key, [-n for n in numbers])
        pipe.execute()

    def _names(self, buffer: BufferedCounts) -> tuple[str, str, str]:
        """The live hash, batch prefix and lock keys of a buffer, made once (the hot path only
        reads them). The names are those the counts had before they moved to ``core``, so
        counts waiting in Redis survive the deploy."""
        names = self.names.get(buffer.name)
        if names is None:
            base = f"partners:counts:{buffer.name}:"
            live, batch, lock = (
                self.cache.make_and_validate_key(base + p) for p in ("live", "batch:", "lock")
            )
            names = self.names[buffer.name] = (live, batch, lock)
        return names

    def _increments(self, counts: Sequence[Count]):
        """``(live hash, field, number)`` of each non-zero number of ``counts``."""
        for buffer, key, numbers in counts:
            live = self._names(buffer)[0]
            field = "|".join(str(part) for part in key)
            for index, n in enumerate(numbers):
                if n:
                    yield live, f"{field}|{index}", n

    def _hincrby(self, pipe, buffer: BufferedCounts, key: tuple, counts: Sequence[int]) -> None:
        for live, field, n in self._increments([(buffer, key, counts)]):
            pipe.hincrby(live, field, n)

    def add(self, buffer: BufferedCounts, key: tuple, counts: Sequence[int]) -> None:
        numbers = [(index, n) for index, n in enumerate(counts) if n]
        if len(numbers) == 1:
            field = "|".join(str(part) for part in key)
            self.client.hincrby(self._names(buffer)[0], f"{field}|{numbers[0][0]}", numbers[0][1])
        elif numbers:
            pipe = self.client.pipeline(transaction=False)
            self._hincrby(pipe, buffer, key, counts)
            pipe.execute()

    def drain(self, buffer: BufferedCounts) -> int:
        client = self.client
        live, batch_prefix, lock = self._names(buffer)
        # One drain at a time, or two could write the same batch twice.
        if not client.set(lock, 1, nx=True, ex=120):
            return 0
        try:
            if client.exists(live):
                client.rename(live, batch_prefix + uuid.uuid4().hex)
            total = 0
            # Batches left by a drain that failed earlier are written too.
            for batch in client.scan_iter(match=batch_prefix + "*"):
                rows = _parse(client.hgetall(batch), buffer.width)
                if rows:
                    total += buffer.write(rows)
                client.delete(batch)
            return total
        finally:
            client.delete(lock)

    def pending(self, buffer: BufferedCounts) -> bool:
        return False  # the counts wait in Redis, drained by beat

    def drain_due(self) -> None:
        """Nothing: beat drains the shared counts."""


def _parse(data: dict, width: int) -> Rows:
    rows: Rows = {}
    for raw_field, raw_value in data.items():
        field = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
        head, _sep, index = field.rpartition("|")
        row = rows.setdefault(tuple(head.split("|")), [0] * width)
        row[int(index)] += int(raw_value)
    return rows


class _Pending:
    """The rows of one ``BufferedCounts`` waiting in this process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: Rows = {}
        self.flushed_at = time.monotonic()

    def take(self) -> Rows:
        with self.lock:
            rows, self.rows = self.rows, {}
            self.flushed_at = time.monotonic()
        return rows


class LocalCounters:
    """Counters and buffered counts in this process (the embedded default: the local-memory
    cache is per process too, so this is the same scope without pickling on every count)."""

    shared = False

    def __init__(self):
        self.lock = threading.Lock()
        self.values: dict[str, list] = {}  # name → [value, expires at (monotonic)]
        self.purged_at = time.monotonic()
        self.buffers: dict[str, _Pending] = {}

    def bump(self, counters: list[tuple[str, int]], counts: Sequence[Count] = ()) -> list[int]:
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
        for buffer, key, numbers in counts:
            self.add(buffer, key, numbers)
        return out

    def unbump(self, counters: list[tuple[str, int]], counts: Sequence[Count] = ()) -> None:
        with self.lock:
            for name, _ttl in counters:
                entry = self.values.get(name)
                if entry is not None:
                    entry[0] -= 1
        for buffer, key, numbers in counts:
            self.add(buffer, key, [-n for n in numbers])

    def _pending(self, buffer: BufferedCounts) -> _Pending:
        pending = self.buffers.get(buffer.name)
        if pending is None:
            with self.lock:
                pending = self.buffers.setdefault(buffer.name, _Pending())
        return pending

    def add(self, buffer: BufferedCounts, key: tuple, counts: Sequence[int]) -> None:
        pending = self._pending(buffer)
        row_key = tuple(map(str, key))
        with pending.lock:
            row = pending.rows.setdefault(row_key, [0] * buffer.width)
            for index, n in enumerate(counts):
                row[index] += n
            due = time.monotonic() - pending.flushed_at >= settings.API_METERING_FLUSH_SECONDS
        if settings.API_ACCESS_LOG_ASYNC:
            # The process's background writer drains it when due, also while no request comes.
            background_writer.start(check_alive=due)
        elif due:
            self.drain(buffer)

    def drain(self, buffer: BufferedCounts) -> int:
        pending = self._pending(buffer)
        rows = pending.take()
        if not rows:
            return 0
        try:
            return buffer.write(rows)
        except Exception:  # a database outage: put the counts back, try again later
            logger.exception("%s: flush failed; %d rows kept for the next one", buffer.name, len(rows))
            with pending.lock:
                for key, numbers in rows.items():
                    row = pending.rows.setdefault(key, [0] * buffer.width)
                    for index, n in enumerate(numbers):
                        row[index] += n
            return 0

    def pending(self, buffer: BufferedCounts) -> bool:
        pending = self.buffers.get(buffer.name)
        return bool(pending and pending.rows)

    def drain_due(self) -> None:
        """Write the buffers whose ``API_METERING_FLUSH_SECONDS`` have passed."""
        now = time.monotonic()
        for buffer in _buffers:
            pending = self.buffers.get(buffer.name)
            if pending and pending.rows and now - pending.flushed_at >= settings.API_METERING_FLUSH_SECONDS:
                self.drain(buffer)


CountersBackend = RedisCounters | LocalCounters
_backend: CountersBackend = None  # type: ignore[assignment] - set by ``counters_start``
# Where ``BufferedCounts(in_process=True)`` wait: the backend itself on the embedded default,
# else counts of this process beside the shared ones.
_process: LocalCounters = None  # type: ignore[assignment] - set by ``counters_start``


def counters_start() -> CountersBackend:
    """Choose the backend from the default cache: Redis when it is Redis, else this process.
    Called once as the process starts (``portal.apps``); a process whose cache settings change
    (tests) calls it again and starts from empty counters."""
    global _backend, _process
    cache = caches["default"]
    _backend = RedisCounters(cache) if isinstance(cache, RedisCache) else LocalCounters()
    _process = _backend if isinstance(_backend, LocalCounters) else LocalCounters()
    return _backend


def counters_backend() -> CountersBackend:
    """The backend chosen by ``counters_start``."""
    return _backend


def bump(counters: list[tuple[str, int]], counts: Sequence[Count] = ()) -> list[int]:
    """Increment each ``(name, ttl_seconds)`` counter by one; the new values, in order. A
    counter is created with its ttl on first use and never extended. ``counts`` are
    ``(buffer, key, numbers)`` added to buffered counts with them (``BufferedCounts.add``): on
    Redis in the same pipeline, so the request pays one round trip for both."""
    return _backend.bump(counters, counts)


def unbump(counters: list[tuple[str, int]], counts: Sequence[Count] = ()) -> None:
    """Take back what ``bump`` added with the same arguments (a call counted before it was
    refused: ``partners.api.auth``)."""
    _backend.unbump(counters, counts)


class BackgroundWriter:
    """One daemon thread per process that runs the registered writes (the embedded default's
    buffered counts, the API access log) every ``API_ACCESS_LOG_FLUSH_SECONDS`` or when woken,
    so no request waits for them. Runs only while ``API_ACCESS_LOG_ASYNC`` is on (off in
    tests, where the writes happen on the request path)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.jobs: list[Callable[[], object]] = []
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0

    def register(self, job: Callable[[], object]) -> None:
        self.jobs.append(job)

    def _running(self) -> bool:
        # A forked worker starts its own.
        return self.thread is not None and self.thread.is_alive() and self.pid == os.getpid()

    def start(self, *, check_alive: bool = True) -> None:
        """Start the thread unless this process runs it. ``check_alive=False`` trusts a thread
        this process started (the per-request caller checks its liveness only when a flush is
        due; a new process, after a fork, starts its own either way)."""
        if self.pid == os.getpid() and not check_alive:
            return
        if self._running():
            return
        with self.lock:
            if self._running():
                return
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._write_forever, name="api-access-log", daemon=True)
            self.thread.start()

    def _write_forever(self) -> None:
        while True:
            woken = self.wake.wait(timeout=settings.API_ACCESS_LOG_FLUSH_SECONDS)
            self.wake.clear()
            if not settings.API_ACCESS_LOG_ASYNC:  # switched off since it started (tests)
                continue
            self.run_jobs(busy=woken)

    def run_jobs(self, *, busy: bool) -> None:
        """One round of the registered writes on this thread's own database connection.

        The connection is kept while the writer is ``busy`` (woken because a batch was due, so
        another will soon follow) and closed when a round found it idle (a whole flush interval
        passed without a batch falling due) or a write failed. Opening it for every batch cost
        more than the batch's rows: on the embedded SQLite the writer's connection is often the
        file's last one, and closing the last connection checkpoints the write-ahead log (and
        the next batch recreates it); on PostgreSQL each connection is a new server process.
        """
        try:
            for job in self.jobs:
                job()
        except Exception:
            logger.exception("background write of API counts failed")
            busy = False
        if not busy:
            connection.close()


background_writer = BackgroundWriter()


def _drain_due() -> None:
    """The background writer's round of the counts: those due in this process."""
    _backend.drain_due()
    if _process is not _backend:
        _process.drain_due()


background_writer.register(_drain_due)


class BufferedRows:
    """Rows (log entries) appended on the request path and written to the database in batches,
    never a write per request: by the process's background writer every
    ``API_ACCESS_LOG_FLUSH_SECONDS`` or as soon as ``batch_setting`` rows wait, and when the
    process exits. Tests (``API_ACCESS_LOG_ASYNC`` off) write inline once a batch is due.

    Rows always wait in this process, whatever the counters' backend: a row is appended, never
    added to, so Redis would only add a round trip. What a crash can lose is what waits here:
    at most one flush interval, and never more than ``keep`` rows (docs/architecture.md).

    ``write(rows)`` stores a list of rows and returns how many it stored; when it raises (a
    database outage) the rows go back to the buffer, the newest ``keep`` of them at most.
    """

    def __init__(self, name: str, *, write: Callable[[list], int], batch_setting: str, keep: int):
        self.name = name
        self.write = write
        self.batch_setting = batch_setting
        self.keep = keep
        self.lock = threading.Lock()
        self.rows: list = []
        self.flushed_at = time.monotonic()
        background_writer.register(self.drain)
        _row_buffers.append(self)

    def add(self, row) -> None:
        self.extend((row,))

    def extend(self, rows: Sequence) -> None:
        with self.lock:
            self.rows.extend(rows)
            due = (
                len(self.rows) >= getattr(settings, self.batch_setting)
                or time.monotonic() - self.flushed_at >= settings.API_ACCESS_LOG_FLUSH_SECONDS
            )
        if not due:
            return
        if settings.API_ACCESS_LOG_ASYNC:
            background_writer.start()
            background_writer.wake.set()
        else:
            self.drain()

    def take(self) -> list:
        """Everything waiting, emptying the buffer."""
        with self.lock:
            rows, self.rows = self.rows, []
            self.flushed_at = time.monotonic()
        return rows

    def drain(self) -> int:
        """Write every waiting row; the number written (0 when the write failed: kept)."""
        rows = self.take()
        if not rows:
            return 0
        try:
            return self.write(rows)
        except Exception:
            logger.exception("%s: flush failed; %d rows kept for the next one", self.name, len(rows))
            with self.lock:
                self.rows[:0] = rows[-self.keep :]
                del self.rows[: max(0, len(self.rows) - self.keep)]
            return 0


_row_buffers: list[BufferedRows] = []


@atexit.register
def _drain_at_exit() -> None:  # pragma: no cover - runs when a process stops
    # Rows first, then counts (as the access log always went first).
    for rows in _row_buffers:
        rows.drain()
    if _backend is None:
        return
    try:
        for buffer in _buffers:
            buffer.drain()
    except Exception:
        logger.exception("drain at exit failed")
