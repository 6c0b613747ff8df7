"""The health endpoint (three real checks) vs a bare Django view, through the test client."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import Client
from django.urls import path

from bench.harness import Benchmark

CALLS = 200


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bare", bare)]


def _client() -> Client:
    return Client()


def ours() -> None:
    client = _client()
    for _ in range(CALLS):
        assert client.get("/healthz").status_code == 200


def baseline() -> None:
    from django.test import override_settings

    with override_settings(ROOT_URLCONF="bench.bench_health"):
        client = _client()
        for _ in range(CALLS):
            assert client.get("/bare").status_code == 200


BENCHMARKS = [
    Benchmark(
        name=f"GET /healthz ×{CALLS} vs bare Django view",
        ours=ours,
        baseline=baseline,
        goal=None,
        rounds=5,
    ),
]
