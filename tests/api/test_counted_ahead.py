"""Counting a call as soon as its route is known (``partners.api.auth.count_ahead``): the call
is counted against its key's limits by the records this process holds, before they are checked
(on Redis in the same command as that check). Whatever happens next, what is counted is exactly
what was counted before: a call that never reaches authentication, or that the fresh records
refuse, is taken back; records that changed meanwhile count the call again by the fresh ones.

Each test runs on the embedded default and, with ``TEST_REDIS_URL`` (or a redis://
``TEST_BROKER_URL``), on Redis as production runs it."""

from __future__ import annotations

import pytest
import time_machine
from django.utils import timezone

from core.clock import business_month
from core.counters import bump
from partners.api import counters
from partners.keycache import LocalRecords, burst_counter_name, quota_counter_name
from partners.models import ApiUsage, Partner, PartnerAPIKey

from ..caches import redis_cache
from .factories import auth

pytestmark = [pytest.mark.django_db]


@pytest.fixture(params=["embedded", "redis"])
def backend(request, settings):
    if request.param == "redis":
        with redis_cache(settings, "ahead"):
            yield request.param
    else:
        yield request.param


@pytest.fixture
def frozen():
    """A fixed instant at the start of a burst window, so the counters stay in one window."""
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
        yield


def _burst_used(prefix: str, seconds: int) -> int:
    """How many calls the key's current burst window counted (read by counting one more)."""
    window = int(timezone.now().timestamp() // seconds)
    return bump([(burst_counter_name(prefix, window), seconds + 1)])[0] - 1


def _usage() -> tuple[int, int]:
    counters.flush_usage()
    row = ApiUsage.objects.filter(endpoint="GET me/").first()
    return (row.calls, row.errors) if row else (0, 0)


def test_the_steady_path_counts_each_call_once(api, acme_key, backend, frozen, settings):
    settings.API_RATE_BURST = (3, 10)
    statuses = [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _burst_used(acme_key.api_key.prefix, 10) == 4
    assert _usage() == (4, 1)


def test_a_call_that_ends_before_authentication_is_taken_back(api, acme_key, backend, frozen, settings):
    settings.API_RATE_BURST = (2, 10)
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200  # the records are held now
    for _ in range(3):  # refused by content negotiation, before DRF authenticates
        assert api.get("/api/v1/me/", HTTP_ACCEPT="application/xml", **auth(acme_key.key)).status_code == 406
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 429
    assert _burst_used(acme_key.api_key.prefix, 10) == 3
    assert _usage() == (3, 1)


def test_a_revocation_elsewhere_refuses_the_call_and_takes_its_count_back(api, acme_key, backend, frozen):
    prefix = acme_key.api_key.prefix
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    PartnerAPIKey.objects.filter(prefix=prefix).update(revoked=True, revoked_at=timezone.now())
    LocalRecords().keys_forget((prefix,))  # another process's revoke
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]
    assert _burst_used(prefix, 1) == 1
    assert _usage() == (1, 0)


def test_a_suspension_elsewhere_refuses_the_call_and_takes_its_count_back(
    api, acme, acme_key, backend, frozen
):
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.SUSPENDED)
    LocalRecords().partners_forget((acme.pk,))
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 403
    assert _burst_used(acme_key.api_key.prefix, 1) == 1
    assert _usage() == (1, 0)


def test_a_tier_changed_elsewhere_counts_the_call_by_the_new_tier(
    api, acme, acme_key, backend, frozen, settings
):
    """Counted ahead against the standard quota, the call is counted again by the fresh record
    (strategic: no quota), so the standard quota's counter keeps only the first call."""
    settings.API_MONTHLY_QUOTA = {**settings.API_MONTHLY_QUOTA, "standard": 2, "strategic": None}
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    Partner.objects.filter(pk=acme.pk).update(tier="strategic")
    LocalRecords().partners_forget((acme.pk,))
    statuses = [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    (quota_used,) = bump([(quota_counter_name(acme.pk, business_month()[0]), 3600)])
    assert quota_used - 1 == 1
    assert _burst_used(acme_key.api_key.prefix, 1) == 4
    assert _usage() == (4, 0)


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_a_restarted_redis_loads_the_script_again_and_counts_once(api, acme_key, backend, frozen):
    from django.core.cache import caches

    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    caches["default"]._cache.get_client(write=True).script_flush()
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert _burst_used(acme_key.api_key.prefix, 1) == 3
    assert _usage() == (3, 0)
