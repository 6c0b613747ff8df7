"""Starting each test from an empty cache, as a new process starts (see ``tests/conftest.py``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
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


def redis_url() -> str:
    """The Redis of the tests that also run on Redis, as production does: ``TEST_REDIS_URL``,
    else a redis:// ``TEST_BROKER_URL`` (CI always has one); empty when there is none."""
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("TEST_BROKER_URL", "")
    return url if url.startswith("redis://") else ""


NO_REDIS = "needs TEST_REDIS_URL or a redis:// TEST_BROKER_URL"


@contextmanager
def redis_cache(settings, name: str) -> Iterator[None]:
    """The default cache on Redis for the block, under this test worker's own key prefix
    (``name``), emptied before and after; the test is skipped without a Redis."""
    if not redis_url():
        pytest.skip(NO_REDIS)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url(),
            "KEY_PREFIX": f"test-{name}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}",
        }
    }
    cache_clear()
    try:
        yield
    finally:
        cache_clear()


class OtherProcess:
    """Another web process as one process-memory cache sees it: a ``ProcessMemo`` of its own in
    place of ``module.<attribute>`` while ``running()``."""

    def __init__(self, monkeypatch, module, attribute: str, names: tuple[str, ...], seconds: float):
        from core.generations import ProcessMemo

        self.memo = ProcessMemo(names, seconds=seconds)
        self.monkeypatch = monkeypatch
        self.module = module
        self.attribute = attribute

    @contextmanager
    def running(self) -> Iterator[None]:
        with self.monkeypatch.context() as patch:
            patch.setattr(self.module, self.attribute, self.memo)
            yield


@contextmanager
def cache_layer(layer: str, settings, tmp_path, name: str) -> Iterator[None]:
    """The process-memory caches on one layer for the block: ``"memory"`` (the local-memory
    cache, checked against an epoch file of the test's own) or ``"redis"`` (``redis_cache``)."""
    settings.API_AUTH_EPOCH_FILE = str(tmp_path / "api-auth.epoch")
    if layer == "memory":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        yield
        return
    with redis_cache(settings, name):
        yield
