"""The open API's hot path on Redis (``REDIS_URL``), as production runs it: an authenticated
call costs two Redis round trips (the generations, then the rate limits, quota and usage count
in one pipeline), and limits, quota, counts and revocation keep working on that path.

Skipped without ``TEST_REDIS_URL`` (or a redis:// ``TEST_BROKER_URL``)."""

from __future__ import annotations

import os

import pytest
from redis.connection import AbstractConnection

from ..caches import cache_clear
from .factories import auth

pytestmark = [pytest.mark.django_db]


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("TEST_BROKER_URL", "")
    return url if url.startswith("redis://") else ""


pytestmark.append(
    pytest.mark.skipif(not _redis_url(), reason="needs TEST_REDIS_URL or a redis:// TEST_BROKER_URL")
)


@pytest.fixture
def redis(settings):
    """The default cache on Redis (this test worker's own key prefix)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url(),
            "KEY_PREFIX": f"test-rt-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}",
        }
    }
    cache_clear()
    yield
    cache_clear()


class RoundTrips:
    """Counts what is sent to Redis: one ``send_packed_command`` per round trip (a pipeline
    sends all its commands at once), with the commands of each."""

    def __init__(self, monkeypatch):
        self.sent: list[bytes] = []
        original = AbstractConnection.send_packed_command

        def send(connection, command, check_health=True):
            packed = (
                command
                if isinstance(command, bytes | str)
                else b"".join(
                    part
                    if isinstance(part, bytes)
                    else part.tobytes()
                    if isinstance(part, memoryview)
                    else bytes(part)
                    for part in command
                )
            )
            self.sent.append(packed if isinstance(packed, bytes) else packed.encode())
            return original(connection, command, check_health)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", send)

    def __len__(self) -> int:
        return len(self.sent)

    def clear(self) -> None:
        self.sent.clear()


@pytest.fixture
def round_trips(monkeypatch):
    return RoundTrips(monkeypatch)


def test_an_authenticated_call_costs_two_round_trips(api, acme_key, redis, round_trips):
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200  # loads and caches
    round_trips.clear()
    for _ in range(3):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert len(round_trips) == 2 * 3, [s[:200] for s in round_trips.sent]
