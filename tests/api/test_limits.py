"""Rate limits (burst, sustained), the monthly quota per tier, usage metering and the access log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from core.counters import bump
from core.partitions import month_of, months_between
from partners.api import counters
from partners.models import ApiAccessLog, ApiUsage
from partners.services import api_access_log_prune
from partners.services.usage import ACCESS_LOG_PARTITIONS

from ..caches import NO_REDIS, redis_cache, redis_url
from .factories import auth, issue

pytestmark = pytest.mark.django_db


def test_it_answers_429_with_retry_after_over_the_burst_limit(api, acme_key, settings):
    settings.API_RATE_BURST = (3, 10)
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
        statuses = [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response["Retry-After"] == "10"
    assert response.json()["error"]["code"] == "throttled"
    assert "3 calls per 10 seconds" in response.json()["error"]["message"]


def test_the_burst_window_passes_and_calls_are_allowed_again(api, acme_key, settings):
    settings.API_RATE_BURST = (1, 10)
    start = timezone.now().replace(second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 429
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200


def test_limits_are_per_key(api, acme, acme_key, settings):
    settings.API_RATE_SUSTAINED = (2, 3600)
    second = issue(acme, name="App")
    with time_machine.travel(timezone.now().replace(minute=0), tick=False):
        for _ in range(2):
            assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 429
        assert api.get("/api/v1/me/", **auth(second.key)).status_code == 200


def test_the_monthly_quota_is_per_partner_and_tier(api, acme, acme_key, settings):
    settings.API_MONTHLY_QUOTA = {**settings.API_MONTHLY_QUOTA, "standard": 2}
    second = issue(acme, name="App")
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert api.get("/api/v1/me/", **auth(second.key)).status_code == 200
    response = api.get("/api/v1/me/", **auth(second.key))
    assert response.status_code == 429
    assert "Monthly quota" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) > 0


def test_a_strategic_partner_has_no_quota(api, acme, acme_key, settings):
    settings.API_MONTHLY_QUOTA = {"standard": 1, "strategic": None}
    acme.tier = "strategic"
    acme.save(update_fields=["tier"])
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200


def test_usage_is_counted_per_key_day_and_endpoint_without_a_write_per_request(
    api, acme_key, django_assert_num_queries
):
    api.get("/api/v1/me/", **auth(acme_key.key))
    with django_assert_num_queries(0):
        api.get("/api/v1/me/", **auth(acme_key.key))
        api.get("/api/v1/nothing-here/", **auth(acme_key.key))
    assert ApiUsage.objects.count() == 0
    counters.flush_usage()
    rows = {r.endpoint: (r.calls, r.errors) for r in ApiUsage.objects.all()}
    assert rows == {"GET me/": (2, 0)}  # an unknown route is not a key's endpoint
    api.delete("/api/v1/me/", **auth(acme_key.key))
    api.get("/api/v1/me/", **auth(acme_key.key))
    counters.flush_usage()
    rows = {r.endpoint: (r.calls, r.errors) for r in ApiUsage.objects.all()}
    assert rows == {"GET me/": (3, 0), "DELETE me/": (1, 1)}


def test_usage_lists_the_partners_own_counts_only(api, acme_key, other_key):
    api.get("/api/v1/me/", **auth(acme_key.key))
    api.get("/api/v1/me/", **auth(other_key.key))
    api.get("/api/v1/me/", **auth(other_key.key))
    counters.flush_usage()  # what beat does with Redis (the embedded default flushes on usage/)
    response = api.get("/api/v1/usage/", **auth(acme_key.key))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "day": timezone.localdate().isoformat(),
        "endpoint": "GET me/",
        "key": acme_key.api_key.prefix,
        "calls": 1,
        "errors": 0,
    }


def test_usage_refuses_a_backwards_range_naming_the_field(api, acme_key):
    response = api.get("/api/v1/usage/?since=2026-05-02&until=2026-05-01", **auth(acme_key.key))
    assert response.status_code == 400
    assert "since" in response.json()["error"]["fields"]
    response = api.get("/api/v1/usage/?since=yesterday", **auth(acme_key.key))
    assert response.status_code == 400
    assert "since" in response.json()["error"]["fields"]


def test_usage_pages_are_capped(api, acme_key):
    response = api.get("/api/v1/usage/?page_size=200", **auth(acme_key.key))
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    # Over the cap is a 400 naming the parameter, as the schema says (maximum 200), not a
    # silently smaller page.
    response = api.get("/api/v1/usage/?page_size=100000", **auth(acme_key.key))
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"page_size": ["Give a whole number from 1 to 200."]}


def test_every_call_is_in_the_access_log_without_the_key(api, acme_key):
    api.get("/api/v1/me/", **auth(acme_key.key))
    api.get("/api/v1/me/", HTTP_AUTHORIZATION="Api-Key wrong")
    counters.flush_access_log()
    entries = list(ApiAccessLog.objects.order_by("pk"))
    assert [(e.method, e.route, e.status, e.key_prefix) for e in entries] == [
        ("GET", "me/", 200, acme_key.api_key.prefix),
        ("GET", "me/", 401, ""),
    ]
    assert entries[0].partner_id is not None
    stored = " ".join(f"{e.path} {e.route} {e.key_prefix}" for e in entries)
    assert acme_key.key not in stored
    assert acme_key.key.partition(".")[2] not in stored


def test_the_access_log_is_pruned_after_the_retention_period(api, acme_key, settings):
    settings.API_ACCESS_LOG_RETENTION_DAYS = 30
    now = timezone.now()
    # PostgreSQL: the months' partitions (a bulk_create does not create them; SQLite: nothing).
    ACCESS_LOG_PARTITIONS.create(months=months_between(month_of(now - timedelta(days=31)), month_of(now)))
    ApiAccessLog.objects.bulk_create(
        [
            ApiAccessLog(
                at=now - timedelta(days=31), method="GET", route="me/", path="/", status=200, latency_ms=1
            ),
            ApiAccessLog(
                at=now - timedelta(days=29), method="GET", route="me/", path="/", status=200, latency_ms=1
            ),
        ]
    )
    assert api_access_log_prune() == 1
    assert ApiAccessLog.objects.count() == 1


def test_the_access_log_is_written_in_batches(api, acme_key, settings, django_assert_num_queries):
    settings.API_ACCESS_LOG_BATCH = 3
    settings.API_ACCESS_LOG_FLUSH_SECONDS = 3600
    api.get("/api/v1/me/", **auth(acme_key.key))
    counters.flush_access_log()
    with django_assert_num_queries(0):
        api.get("/api/v1/me/", **auth(acme_key.key))
        api.get("/api/v1/me/", **auth(acme_key.key))
    # One statement in a savepoint (inside the test's transaction: a refused batch leaves it
    # usable): an INSERT on SQLite; a COPY on PostgreSQL, which Django's query log does not see.
    with django_assert_num_queries(3 if connection.vendor != "postgresql" else 2):
        api.get("/api/v1/me/", **auth(acme_key.key))
    assert ApiAccessLog.objects.count() == 4


@pytest.mark.skipif(not redis_url(), reason=NO_REDIS)
def test_counters_and_the_usage_flush_work_on_redis(api, acme_key, settings):
    with redis_cache(settings, "h3"):
        settings.API_RATE_BURST = (2, 10)
        with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
            statuses = [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert bump([("x", 10), ("x", 10)]) == [1, 2]
        assert counters.flush_usage() == 1
        row = ApiUsage.objects.get()
        assert (row.endpoint, row.calls, row.errors) == ("GET me/", 3, 1)
        assert counters.flush_usage() == 0  # nothing counted twice
