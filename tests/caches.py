"""Starting each test from an empty cache, as a new process starts (see ``tests/conftest.py``)."""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from core.counters import counters_start
from partners.api.counters import access_buffer
from partners.keycache import keycache_start
from revenue.services.ledger import catalogs
from scenarios.selectors import offer_terms
from scenarios.services.offer_log import offer_log


def cache_clear() -> None:
    """Empty the default cache. On Redis only this test worker's keys go (its ``KEY_PREFIX``):
    ``clear()`` would empty the database every parallel worker shares."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def caches_restart() -> None:
    """Start from what a new process has: empty rate-limit counters, buffered counts (usage,
    offer quotes), verification cache, compiled offer terms, partner catalogs, access-log and
    offer-log buffers. The backends are chosen again from the settings, as the process's
    start-up chooses them (``portal.apps``)."""
    counters_start()
    keycache_start()
    access_buffer.take()
    offer_log.take()
    offer_terms.clear()
    catalogs.clear()
