"""The open API's hot path on Redis (``REDIS_URL``), as production runs it: an authenticated
call costs one Redis round trip (one command: the generations with the rate limits, quota and
usage count, ``core.counters.HOT_PATH_SCRIPT``), and limits, quota, counts and revocation keep working on that path.

Skipped without ``TEST_REDIS_URL`` (or a redis:// ``TEST_BROKER_URL``)."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone
from redis.connection import AbstractConnection

from partners.api import counters
from partners.models import ApiUsage

from ..caches import NO_REDIS, redis_cache, redis_url
from .factories import auth, issue

pytestmark = [pytest.mark.django_db]


pytestmark.append(pytest.mark.skipif(not redis_url(), reason=NO_REDIS))


@pytest.fixture
def redis(settings):
    """The default cache on Redis (this test worker's own key prefix)."""
    with redis_cache(settings, "rt"):
        yield


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


def test_an_authenticated_call_costs_one_round_trip(api, acme_key, redis, round_trips):
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200  # loads and caches
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200  # connects the hot path
    round_trips.clear()
    for _ in range(3):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert len(round_trips) == 3, [s[:200] for s in round_trips.sent]
    assert all(b"EVALSHA" in sent for sent in round_trips.sent)


def test_a_quote_costs_one_round_trip_and_its_request_counts_still_land(
    api, acme, acme_key, redis, round_trips
):
    """``POST offers/`` makes the same one command: the offer log's rows and the request counts
    wait in the process (``BufferedCounts(in_process=True)``), nothing goes to Redis after it."""
    from scenarios.models import OfferQuoteDaily
    from scenarios.services import offer_quote_counts_flush

    from .test_scenarios import make_scenario

    make_scenario(acme, "travel-finance")
    body = {
        "scenario": "travel-finance",
        "event": "booking.created",
        "amount": "10000.00",
        "tenor_months": 12,
    }
    for _ in range(2):  # loads the records and the terms, connects the hot path
        assert api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key)).status_code == 200
    round_trips.clear()
    for _ in range(3):
        assert api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key)).status_code == 200
    assert len(round_trips) == 3, [s[:200] for s in round_trips.sent]
    assert all(b"EVALSHA" in sent for sent in round_trips.sent)

    assert offer_quote_counts_flush() == 1
    assert OfferQuoteDaily.objects.get().quotes == 5


def test_the_burst_limit_answers_429_at_the_same_count_with_its_retry_after(api, acme_key, redis, settings):
    settings.API_RATE_BURST = (3, 10)
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
        statuses = [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(4)]
        response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert statuses == [200, 200, 200, 429]
    assert response.status_code == 429
    assert response["Retry-After"] == "10"
    assert "3 calls per 10 seconds" in response.json()["error"]["message"]


def test_the_monthly_quota_answers_429_past_its_calls(api, acme, acme_key, redis, settings):
    settings.API_MONTHLY_QUOTA = {**settings.API_MONTHLY_QUOTA, "standard": 2}
    second = issue(acme, name="App")
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert api.get("/api/v1/me/", **auth(second.key)).status_code == 200
    response = api.get("/api/v1/me/", **auth(second.key))
    assert response.status_code == 429
    assert "Monthly quota" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) > 0


def test_every_call_and_error_is_counted_once_whether_or_not_it_reached_the_limits(
    api, acme, acme_key, redis, settings
):
    settings.API_RATE_BURST = (2, 10)
    reader = issue(acme, scopes=("read",), name="reader")
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
        statuses = [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(3)]
        # Refused by its scope after it was counted: its error is added after the answer.
        denied = api.post("/api/v1/consents/withdraw/", {}, format="json", **auth(reader.key))
    assert statuses == [200, 200, 429]
    assert denied.status_code == 403
    assert counters.flush_usage() == 2
    me = ApiUsage.objects.get(endpoint="GET me/")
    assert (me.calls, me.errors) == (3, 1)
    withdrawn = ApiUsage.objects.exclude(endpoint="GET me/").get()
    assert (withdrawn.key_id, withdrawn.calls, withdrawn.errors) == (reader.api_key.pk, 1, 1)
    assert counters.flush_usage() == 0  # nothing counted twice


def test_a_revocation_in_another_process_is_refused_on_the_next_call(api, acme_key, redis):
    from partners.keycache import LocalRecords
    from partners.models import PartnerAPIKey

    prefix = acme_key.api_key.prefix
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    PartnerAPIKey.objects.filter(prefix=prefix).update(revoked=True, revoked_at=timezone.now())
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200  # this process's record
    LocalRecords().keys_forget((prefix,))  # another process's revoke: its own memo, the shared generation
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_a_suspension_in_another_process_is_refused_on_the_next_call(api, acme, acme_key, redis):
    from partners.keycache import LocalRecords
    from partners.models import Partner

    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.SUSPENDED)
    LocalRecords().partners_forget((acme.pk,))
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 403
    assert "not active" in response.json()["error"]["message"]


def test_a_request_reads_every_generation_once(redis, round_trips):
    """The key records and the offer terms share the request's one ``MGET``; a bump in the
    request drops it, so the request sees its own change."""
    from django.core.signals import request_finished, request_started

    from core.generations import ProcessMemo, generation_bump

    keys, terms = ProcessMemo(("gen-a",), seconds=60), ProcessMemo(("gen-b", "gen-c"), seconds=60)
    keys.current()
    keys.put("x", 1)
    request_started.send(sender=None)
    try:
        round_trips.clear()
        keys.current()
        terms.current()
        assert len(round_trips) == 1
        assert b"MGET" in round_trips.sent[0]
        assert keys.peek("x") == 1  # nothing changed
        generation_bump("gen-a")
        keys.current()
        assert keys.peek("x") is None
    finally:
        request_finished.send(sender=None)
    round_trips.clear()
    keys.current()
    terms.current()
    assert len(round_trips) == 2  # outside a request: each reads afresh
