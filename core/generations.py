"""Generations of cached reads: how a read that a process keeps in its own memory (compiled
offer terms, say) learns that what it was built from changed, in this process or another one.

A writer calls ``generation_bump(name)`` when it changes what readers of ``name`` cache (the
product catalog, the scenarios). A reader keeps a ``ProcessMemo`` watching the names it depends
on: before every lookup the memo reads the names' current generations and, when any differs from
what it last saw, drops everything it holds.

This is the one invalidation path of every process-memory cache of the site: the compiled offer
terms (``scenarios.selectors``), the partners' catalogs that ingestion checks batches against
(``revenue.services.ledger``: ``scenarios``, ``products`` and ``agreements``) and the open API's
verification records (``partners.keycache``: ``key_forget`` and ``partner_forget`` bump its
generation). The
generations travel with the backend of ``core.counters``:

- **shared (Redis, ``REDIS_URL``)**: each name is a random token in the default cache; a bump
  writes a new token and every process sees it on its next lookup (one ``MGET`` per lookup);
- **embedded default**: every name is the cache epoch file (``core.epoch``: one ``stat``), so a
  bump of any name, or a key revocation, drops every memo of the machine.

Within a request the generations are read once and shared by every memo (``request_started``
opens the request's read, ``request_finished`` closes it): the first ``current()`` of the request
reads the generations of every name any memo watches (one ``MGET`` on Redis, one ``stat`` on the
embedded default) and the later ones (the offer terms after the API key records) reuse it. A
bump in the request drops the read, so the request sees its own change. Outside a request
(tasks, commands, tests without the client) every ``current()`` reads afresh.

A bump happens at once and again after the surrounding transaction commits: at once so this
process (and its own transaction) never answers from what it just changed; after the commit so
another process that reloaded the old rows in between (its snapshot predates the commit) drops
them on its next lookup. A memo reads the generations *before* it loads, so a load that raced a
change is dropped on the following lookup.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Hashable
from typing import Any

from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import transaction

from .counters import counters_backend
from .epoch import epoch, epoch_touch


def generation_name(name: str) -> str:
    """The cache key of a shared generation."""
    return f"core:generation:{name}"


# Every name a ``ProcessMemo`` watches: what a request reads at once.
_watched: set[str] = set()


class _RequestRead(threading.local):
    """What this thread's current request read of the generations (None: not read yet)."""

    active = False
    read: object = None
    bumps = 0  # bumps made in this thread (a read sent before one is not adopted after it)


_request = _RequestRead()


def _request_opens(**kwargs) -> None:
    _request.active = True
    _request.read = None


def _request_closes(**kwargs) -> None:
    _request.active = False
    _request.read = None


request_started.connect(_request_opens, dispatch_uid="core.generations.request_opens")
request_finished.connect(_request_closes, dispatch_uid="core.generations.request_closes")


def _bump(name: str) -> None:
    _request.read = None  # this request reads again after its own change
    _request.bumps += 1
    if counters_backend().shared:
        caches["default"].set(generation_name(name), uuid.uuid4().hex, None)
    else:
        epoch_touch()


def generation_bump(name: str) -> None:
    """Tell every process that what readers of ``name`` cache changed: now, and again after the
    current transaction commits (if one is open)."""
    _bump(name)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump(name))


# The Redis keys of each set of names read together, made once per backend: the hot path
# neither builds nor validates keys.
_redis_keys: dict[tuple, tuple[object, list]] = {}


def _keys(backend, names: tuple[str, ...]) -> list:
    held = _redis_keys.get(names)
    if held is None or held[0] is not backend:
        cache = caches["default"]
        held = _redis_keys[names] = (
            backend,
            [cache.make_and_validate_key(generation_name(name)) for name in names],
        )
    return held[1]


def _read(names) -> object:
    """Shared: ``{name: token}`` (one ``MGET``, the tokens compared as stored: nothing is
    unpickled); embedded: the epoch (one ``stat``)."""
    backend = counters_backend()
    if backend.shared:
        names = tuple(sorted(names))
        return dict(zip(names, backend.client.mget(_keys(backend, names)), strict=True))
    return epoch()


class CountedNow:
    """Counts already made (the embedded default, or outside a request): what
    ``generations_and_bump`` answers when there is nothing to wait for."""

    def __init__(self, values: list[int]):
        self.counted = values

    def values(self) -> list[int]:
        return self.counted

    def discard(self) -> None:
        """Nothing to read."""


class CountedWithGenerations:
    """Counts sent to Redis with the request's read of the generations (one command), read
    when first asked: the read becomes the request's, unless the request bumped a generation
    meanwhile (it then reads afresh and sees its own change)."""

    def __init__(self, reply, names: tuple[str, ...]):
        self.reply = reply
        self.names = names
        self.bumps = _request.bumps

    def values(self) -> list[int]:
        tokens, values = self.reply.values()
        if _request.active and _request.bumps == self.bumps and _request.read is None:
            _request.read = dict(zip(self.names, tokens, strict=True))
        return values

    def discard(self) -> None:
        self.reply.discard()


def generations_and_bump(counters: list[tuple[str, int]], counts=()) -> CountedNow | CountedWithGenerations:
    """``core.counters.bump(counters, counts)``; in a request on the shared backend, sent with
    the request's read of every watched generation in the same command (one round trip), so the
    memos asked next in the request need no round trip of their own. The command is sent now and
    its reply read when ``values()`` is first asked (the open API's hot path sends it as the
    route is known and reads it in authentication: ``partners.api.auth``). ``discard()`` reads
    and drops a reply that will not be asked for."""
    backend = counters_backend()
    if not backend.shared or not _request.active:
        return CountedNow(backend.bump(counters, counts))
    names = tuple(sorted(_watched))
    return CountedWithGenerations(backend.read_and_bump(_keys(backend, names), counters, counts), names)


def generations(names: tuple[str, ...]) -> object:
    """The current generations of ``names``: something that compares unequal after any bump.
    In a request, read once for every watched name and reused (see the module docstring)."""
    state = _request
    if not state.active:
        read = _read(names)
    else:
        read = state.read
        if read is None or (type(read) is dict and not read.keys() >= set(names)):
            read = state.read = _read(_watched.union(names))
    if type(read) is dict:
        return tuple(read[name] for name in names)
    return read


class ProcessMemo:
    """Values kept in this process's memory, dropped when a generation of ``names`` changes and
    in any case ``seconds`` after they were loaded (what a lost bump could cost).

    Reads and writes of a dict are atomic under the GIL; a thread that misses loads the value
    itself (two threads may both load it once: harmless)."""

    def __init__(self, names: tuple[str, ...], *, seconds: float):
        self.names = names
        _watched.update(names)
        self.seconds = seconds
        self.values: dict[Hashable, tuple[Any, float]] = {}
        self.seen: object = None

    def current(self) -> None:
        """Bring the memo up to date with the generations (call once per request, before
        ``get``)."""
        now = generations(self.names)
        if now != self.seen:
            self.values = {}
            self.seen = now

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The value of ``key``, loaded (and kept) on a miss or after it expired."""
        held = self.values.get(key)
        if held is not None and held[1] > time.monotonic():
            return held[0]
        value = load()
        self.values[key] = (value, time.monotonic() + self.seconds)
        return value

    def peek(self, key: Hashable) -> Any:
        """The value of ``key`` if held and not expired, else None (nothing is loaded)."""
        held = self.values.get(key)
        return held[0] if held is not None and held[1] > time.monotonic() else None

    def put(self, key: Hashable, value: Any, seconds: float | None = None) -> None:
        """Keep ``value`` for ``seconds`` (the memo's lifetime when not given)."""
        self.values[key] = (value, time.monotonic() + (self.seconds if seconds is None else seconds))

    def forget(self, *keys: Hashable) -> None:
        """Drop ``keys`` in this process only (``generation_bump`` drops them everywhere)."""
        for key in keys:
            self.values.pop(key, None)

    def clear(self) -> None:
        """Forget everything, as a new process starts."""
        self.values = {}
        self.seen = None
