"""``POST /api/v1/offers/`` (authenticated, scoped, throttled, metered, the quote priced by the
engine with a 12-month schedule, every offer recorded in the offer log) vs ``GET /api/v1/me/``
with the same key, over HTTP on the same gunicorn server (one sync worker). Goal: at most 1.5×.

Both sides pay the same authentication, throttling, metering and access log; what the ratio
prices is the quote itself: the compiled terms (cached in the worker, ``scenarios.selectors``),
the engine, the offer ids, the buffered offer-log row and the larger JSON answer. Run it on the
embedded default (SQLite) and on PostgreSQL (``DATABASE_URL``). The server runs on the embedded
cache, and again on Redis when ``REDIS_URL`` is set (as production runs it: the call's one round
trip on both sides)."""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
from decimal import Decimal

from bench.gunicorn import gunicorn_start, gunicorn_stop, server_cpu_seconds
from bench.harness import Benchmark

CALLS = 300
SLUG = "bench-offers"
CODE = "bench-offers-travel"
PRODUCT = "bench-offers-installment"
BODY = json.dumps(
    {
        "scenario": CODE,
        "event": "booking.created",
        "amount": "8000.00",
        "tenor_months": 12,
        "segment": "standard",  # no customer reference: that would need a recorded consent
    }
)

_state: dict = {}


def _data_remove() -> None:
    from partners.models import Partner
    from products.models import Product
    from scenarios.models import OfferQuoteDaily, OfferRecord, Participation, Scenario

    OfferRecord.objects.filter(scenario__code=CODE).delete()
    OfferQuoteDaily.objects.filter(scenario__code=CODE).delete()
    Participation.objects.filter(scenario_code=CODE).delete()
    Scenario.objects.filter(code=CODE).delete()  # its items go with it
    Product.objects.filter(code=PRODUCT).delete()
    Partner.objects.filter(slug=SLUG).delete()


def setup() -> None:
    from django.utils import timezone

    from partners.models import Industry, Partner, PartnerDocument
    from partners.selectors import partner_document_gaps
    from partners.services import api_key_issue
    from products.models import Product, Segment
    from scenarios.models import BundleItem, Participation, Scenario
    from tests.factories import StaffFactory

    _data_remove()
    industry, _ = Industry.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    partner = Partner.objects.create(
        legal_name="Bench Offers Co., Ltd.", display_name="Bench offers", slug=SLUG,
        credit_code="91310000BENCH0002X", industry=industry, status="active",
    )  # fmt: skip
    gaps = partner_document_gaps(partner=partner)
    if gaps:
        staff = StaffFactory(email=f"bench-kyb-{time.monotonic_ns()}@bank.test")
        PartnerDocument.objects.bulk_create(
            PartnerDocument(
                partner=partner, document_type=t, file=f"kyb/bench/{t}.pdf", original_name=f"{t}.pdf",
                content_type="application/pdf", size=1, status="verified", verified_by=staff,
                verified_at=timezone.now(),
            )
            for t in gaps
        )  # fmt: skip
    Segment.objects.get_or_create(code="standard", defaults={"name": "Standard"})
    product = Product.objects.create(
        code=PRODUCT, name="Bench installment", category="installment", status="active",
        rate=Decimal("0.129000"), rate_floor=Decimal("0.08"), rate_ceiling=Decimal("0.18"),
        min_amount=Decimal("500"), max_amount=Decimal("500000"), tenor_months=[6, 12, 24],
        repayment_method="equal_installment",
    )  # fmt: skip
    scenario = Scenario.objects.create(
        code=CODE,
        name="Bench travel",
        industry=industry,
        trigger_events=["booking.created"],
        status="published",
    )
    BundleItem.objects.create(
        scenario=scenario, product=product, position=1, reward_kind="cashback",
        reward_rate=Decimal("0.010000"), reward_cap=Decimal("100.00"), reward_description="1 % back",
    )  # fmt: skip
    Participation.objects.create(partner=partner, scenario=scenario, scenario_code=CODE, status="active")
    _state["key"] = api_key_issue(partner=partner, actor=None, name="bench", scopes=["read", "offers"]).key


def _request(method: str, path: str, body: str | None = None) -> int:
    headers = {"Authorization": f"Api-Key {_state['key']}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", _state["port"], timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _server_setup(redis_url: str) -> None:
    setup()

    def probe(port: int) -> None:
        _state["port"] = port
        _request("GET", "/api/v1/me/")

    _state["server"], _state["port"] = gunicorn_start(probe, environ={"REDIS_URL": redis_url})


def server_setup() -> None:
    """The server on the embedded default, whatever this process has."""
    _server_setup("")


def redis_server_setup() -> None:
    """The server on Redis (``REDIS_URL``), as production runs it."""
    _server_setup(os.environ["REDIS_URL"])


def server_teardown() -> None:
    from partners.api import counters
    from scenarios.models import OfferRecord

    server = _state.pop("server", None)
    if server is not None:
        gunicorn_stop(server)
        # Every answered offer was recorded (nothing lost on a clean shutdown).
        recorded = OfferRecord.objects.filter(scenario__code=CODE).count()
        print(f"offers recorded: {recorded}", file=sys.stderr)
    counters.flush_access_log()
    counters.flush_usage()
    _data_remove()


def offers() -> None:
    for _ in range(CALLS):
        assert _request("POST", "/api/v1/offers/", BODY) == 200


def me() -> None:
    for _ in range(CALLS):
        assert _request("GET", "/api/v1/me/") == 200


def _server_cpu() -> float | None:
    return server_cpu_seconds(_state.get("server"))


BENCHMARKS = [
    Benchmark(
        name=f"POST offers/ ×{CALLS} over HTTP (gunicorn) vs GET me/",
        ours=offers,
        baseline=me,
        goal=1.5,
        rounds=21,
        setup=server_setup,
        teardown=server_teardown,
        cpu=_server_cpu,
    ),
    Benchmark(
        name=f"POST offers/ ×{CALLS} HTTP (gunicorn, Redis) vs GET me/",
        ours=offers,
        baseline=me,
        goal=1.5,
        rounds=21,
        setup=redis_server_setup,
        teardown=server_teardown,
        cpu=_server_cpu,
        requires=("redis",),
    ),
]
