"""An authenticated, scoped, throttled, metered and logged open API call (``GET /api/v1/me/``)
vs a bare DRF view (no authentication, no throttling) in the same server and middleware stack.
Goal: at most 1.15×.

Measured twice: over HTTP against gunicorn (the production web server, one sync worker, both
views in the same process) — what a partner's client sees — and in-process through Django's
test client, where the handler has nothing else to hide behind (a stricter ratio, reported
beside it).

Over HTTP twice when ``REDIS_URL`` is set: the server on the embedded default (``REDIS_URL``
emptied for it), then on Redis as production runs it (verification generations, rate limits,
quota and usage counts in Redis: one round trip per call), with beside it, informative, the bare
view plus one plain Redis round trip against the bare view: the floor that one round trip a call
sets on this machine, whatever the code around it. The in-process pair runs on what this
process has."""

from __future__ import annotations

import http.client
import os

from django.conf import settings
from django.test import Client
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.gunicorn import gunicorn_start, gunicorn_stop, server_cpu_seconds
from bench.harness import Benchmark

CALLS = 300


class BareView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def get(self, request):
        return Response({"partner": {"slug": "bare"}, "key": {"prefix": "none"}})


class RoundTripView(BareView):
    """The bare view and one Redis round trip made the way the hot path makes its own: sent on
    this thread's connection before DRF sets the request up (the hot path sends from the
    middleware's ``process_view``), its reply read in the handler (the hot path reads it in
    authentication; ``core.counters.RedisCounters``). The floor under any hot path that asks
    Redis once per call, measured beside the goal."""

    def dispatch(self, request, *args, **kwargs):
        from core.counters import counters_backend

        self.redis = counters_backend()._hot_connection()
        self.redis.send_command("GET", "bench:round-trip")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        self.redis.read_response()
        return super().get(request)


def _urlpatterns() -> list:
    from portal.urls import urlpatterns as real

    # The bare views first, then the product's own URLconf exactly as it is served.
    return [path("bare/", BareView.as_view()), path("bare-redis/", RoundTripView.as_view()), *real]


urlpatterns = _urlpatterns()

_state: dict = {}


def setup() -> None:
    from django.utils import timezone

    from partners.models import Industry, Partner, PartnerDocument
    from partners.selectors import partner_document_gaps
    from partners.services import api_key_issue
    from tests.factories import StaffFactory, _credit_code

    # Set directly (override_settings would slow every settings read on both sides, unlike
    # production); restored by teardown.
    changes = {
        "ROOT_URLCONF": "bench.bench_api_me",
        "API_RATE_BURST": (10**9, 1),
        "API_RATE_SUSTAINED": (10**9, 3600),
        "API_MONTHLY_QUOTA": {"standard": None},
    }
    _state["saved"] = {name: getattr(settings, name) for name in changes}
    for name, value in changes.items():
        setattr(settings, name, value)
    industry, _ = Industry.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    partner, _created = Partner.objects.get_or_create(
        slug="bench-partner",
        defaults={
            "legal_name": "Bench Co., Ltd.",
            "display_name": "Bench",
            "credit_code": _credit_code(99_999_999),
            "industry": industry,
        },
    )
    Partner.objects.filter(pk=partner.pk).update(status="active")
    gaps = partner_document_gaps(partner=partner)
    if gaps:
        staff = StaffFactory(email="bench-kyb@bank.test")
        PartnerDocument.objects.bulk_create(
            PartnerDocument(
                partner=partner,
                document_type=t,
                file=f"kyb/bench/{t}.pdf",
                original_name=f"{t}.pdf",
                content_type="application/pdf",
                size=1,
                status="verified",
                verified_by=staff,
                verified_at=timezone.now(),
            )
            for t in gaps
        )
    partner.refresh_from_db()
    _state["key"] = api_key_issue(partner=partner, actor=None, name="bench", scopes=["read"]).key
    _state["client"] = Client()


def teardown() -> None:
    from partners.api import counters

    counters.flush_access_log()
    counters.flush_usage()
    for name, value in _state.pop("saved").items():
        setattr(settings, name, value)


def _server_setup(redis_url: str) -> None:
    setup()

    def probe(port: int) -> None:
        _state["port"] = port
        _http("/bare/")

    _state["server"], _state["port"] = gunicorn_start(probe, environ={"REDIS_URL": redis_url})


def server_setup() -> None:
    """The server on the embedded default (local-memory cache, epoch file)."""
    _server_setup("")


def redis_server_setup() -> None:
    """The server on Redis (``REDIS_URL``), as production runs it."""
    _server_setup(os.environ["REDIS_URL"])


def server_teardown() -> None:
    gunicorn_stop(_state.pop("server", None))
    teardown()


def _http(path: str, headers: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", _state["port"], timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def server_ours() -> None:
    headers = {"Authorization": f"Api-Key {_state['key']}"}
    for _ in range(CALLS):
        assert _http("/api/v1/me/", headers) == 200


def server_baseline() -> None:
    for _ in range(CALLS):
        assert _http("/bare/") == 200


def server_round_trip() -> None:
    for _ in range(CALLS):
        assert _http("/bare-redis/") == 200


def ours() -> None:
    client = _state["client"]
    header = {"HTTP_AUTHORIZATION": f"Api-Key {_state['key']}"}
    for _ in range(CALLS):
        assert client.get("/api/v1/me/", **header).status_code == 200


def baseline() -> None:
    client = _state["client"]
    for _ in range(CALLS):
        assert client.get("/bare/").status_code == 200


def _server_cpu() -> float | None:
    return server_cpu_seconds(_state.get("server"))


BENCHMARKS = [
    Benchmark(
        name=f"GET /api/v1/me/ ×{CALLS} over HTTP (gunicorn) vs bare DRF",
        ours=server_ours,
        baseline=server_baseline,
        goal=1.15,
        rounds=21,
        setup=server_setup,
        teardown=server_teardown,
        cpu=_server_cpu,
    ),
    Benchmark(
        name=f"GET /api/v1/me/ ×{CALLS} HTTP (gunicorn, Redis) vs bare DRF",
        ours=server_ours,
        baseline=server_baseline,
        goal=1.15,
        rounds=21,
        setup=redis_server_setup,
        teardown=server_teardown,
        cpu=_server_cpu,
        requires=("redis",),
    ),
    Benchmark(
        name=f"bare DRF + one Redis round trip ×{CALLS} HTTP vs bare DRF",
        ours=server_round_trip,
        baseline=server_baseline,
        goal=None,  # informative: what one round trip a call costs on this machine, by itself
        rounds=21,
        setup=redis_server_setup,
        teardown=server_teardown,
        cpu=_server_cpu,
        requires=("redis",),
    ),
    Benchmark(
        name=f"GET /api/v1/me/ ×{CALLS} in-process (test client) vs bare DRF",
        ours=ours,
        baseline=baseline,
        goal=None,  # informative: the goal is measured in the server, above
        rounds=15,
        setup=setup,
        teardown=teardown,
    ),
]
