"""The sandbox isolation sweep (issue 16): with live AND sandbox data of one partner present,
every open API route and method answers a sandbox key without a live row and a live key without
a sandbox row; writes of one side never reach the other's objects. Then what never reads the
sandbox: settlement and statements, the funnel's roll-ups, risk signals, staff pages, exports.

Routes come from the URL resolver (as in ``test_cross_partner``): a route added later is swept
automatically, and one with a path parameter or a write method fails the sweep, naming it,
until it is registered in ``OBJECTS`` / ``WRITES``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

from console.services.risk import risk_scan
from console.urls import urlpatterns as console_patterns
from revenue.models import SandboxTransaction, Statement, Transaction
from revenue.services import settlement_start
from scenarios.models import Consent, OfferCustomerDaily, OfferFunnelDaily, OfferQuoteDaily, OfferRecord
from scenarios.services import offer_log_flush
from scenarios.services.offers import offer_quote_counts_flush
from tests.factories import StaffFactory

from .factories import auth, issue
from .test_cross_partner import (
    METHODS,
    REVENUE_DAY,
    _call,
    _consent_of,
    _fill,
    _implements,
    _revenue_of,
    v1_routes,
)
from .test_scenarios import make_scenario

pytestmark = pytest.mark.django_db
SBX_TX = "sbx-secret-tx"  # the live one is "other-secret-tx" (``_revenue_of``)
LIVE_CONSENT, SBX_CONSENT = "live-secret-consent", "sbx-secret-consent"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.API_RATE_BURST = (100_000, 1)
    settings.API_SANDBOX_RATE_BURST = (100_000, 1)


def _offer(api, key: str, **more) -> str:
    body = {"scenario": "mall-credit", "event": "booking.created", "amount": "1000.00", **more}
    response = api.post("/api/v1/offers/", body, format="json", **auth(key))
    assert response.status_code == 200, response.json()
    return response.json()["offers"][0]["offer_id"]


def _sbx_sale(external_id: str, *, when, amount="77.00", **more) -> dict:
    return {
        "external_id": external_id,
        "scenario": "mall-credit",
        "product": "mall-credit-line",
        "kind": "sale",
        "amount": amount,
        "currency": "CNY",
        "occurred_at": when.isoformat(),
        **more,
    }


@pytest.fixture
def both(api, acme, acme_key, staff_roles) -> dict:
    """acme's live data (an agreement, a settled transaction and statement, a consent, an
    offer) and its sandbox data (transactions, an offer, a consent)."""
    scenario = make_scenario(acme, "mall-credit", products=(("mall-credit-line", "consumer_credit"),))
    live = _revenue_of(acme, scenario, staff_roles)
    _consent_of(acme, consent_id=LIVE_CONSENT)
    sandbox_key = issue(acme, sandbox=True, name="Sandbox")
    live_offer = _offer(api, acme_key.key)
    consent = {"id": SBX_CONSENT, "purposes": ["marketing"], "granted_at": "2026-01-05T09:30:00+08:00"}
    sbx_offer = _offer(api, sandbox_key.key, customer={"ref": "cust-1", "consent": consent})
    offer_log_flush()
    noon = timezone.make_aware(datetime.combine(REVENUE_DAY, time(12)))
    response = api.post(
        "/api/v1/transactions/",
        {
            "transactions": [
                _sbx_sale("sbx-pad", when=noon),
                _sbx_sale(SBX_TX, when=noon),
                _sbx_sale("sbx-attributed", when=timezone.now(), offer_id=sbx_offer),
            ]
        },
        format="json",
        **auth(sandbox_key.key),
    )
    assert response.status_code == 201, response.json()
    return {
        "sandbox_key": sandbox_key,
        "live_key": acme_key,
        "live_tx": live["transaction_id"],
        "statement": live["statement_id"],
        "sbx_tx": SandboxTransaction.objects.get(external_id=SBX_TX).pk,
        "live_markers": ["other-secret-tx", live_offer, LIVE_CONSENT],
        "sandbox_markers": [SBX_TX, "sbx-attributed", "sbx-pad", sbx_offer, SBX_CONSENT],
        "live_offer": live_offer,
        "sbx_offer": sbx_offer,
    }


def _leaks(response, markers) -> list[str]:
    text = response.content.decode()
    return [m for m in markers if m in text]


# route template → (kwargs naming a live object, kwargs naming a sandbox object) from ``both``
OBJECTS: dict[str, Callable[[dict], tuple[dict, dict]]] = {
    "scenarios/<str:code>/": lambda d: ({"code": "mall-credit"}, {"code": "mall-credit"}),
    "transactions/<int:transaction_id>/": lambda d: (
        {"transaction_id": d["live_tx"]},
        {"transaction_id": d["sbx_tx"]},
    ),
    "statements/<int:statement_id>/": lambda d: (
        {"statement_id": d["statement"]},
        {"statement_id": d["statement"]},
    ),
}


def test_lists_show_each_side_only_its_own_rows(api, both):
    for route, view_class in v1_routes():
        if "<" in route or not _implements(view_class, "get"):
            continue
        url = "/api/v1/" + route
        sandbox = _call(api, "get", url, both["sandbox_key"].key)
        live = _call(api, "get", url, both["live_key"].key)
        assert sandbox.status_code == live.status_code == 200, route
        assert not _leaks(sandbox, both["live_markers"]), route
        assert not _leaks(live, both["sandbox_markers"]), route
    # Each side does see its own.
    assert SBX_TX in _call(api, "get", "/api/v1/transactions/", both["sandbox_key"].key).content.decode()
    assert (
        "other-secret-tx" in _call(api, "get", "/api/v1/transactions/", both["live_key"].key).content.decode()
    )


def test_objects_of_the_other_side_are_never_answered_on_any_route_or_method(api, both):
    missing = []
    for route, view_class in v1_routes():
        if "<" not in route:
            continue
        if route not in OBJECTS:
            missing.append(route)
            continue
        live_kwargs, sandbox_kwargs = OBJECTS[route](both)
        for method in METHODS:
            for key, kwargs, markers in (
                (both["sandbox_key"].key, live_kwargs, both["live_markers"]),
                (both["live_key"].key, sandbox_kwargs, both["sandbox_markers"]),
            ):
                answer = _call(api, method, "/api/v1/" + _fill(route, kwargs), key)
                assert not _leaks(answer, markers), (method, route)
                if not _implements(view_class, method):
                    assert answer.status_code == 405, (method, route)
    assert not missing, f"register these routes in OBJECTS: {missing}"
    # The live statement is 404 for the sandbox; a sandbox row's id answers only its own side.
    assert (
        _call(api, "get", f"/api/v1/statements/{both['statement']}/", both["sandbox_key"].key).status_code
        == 404
    )
    own = _call(api, "get", f"/api/v1/transactions/{both['sbx_tx']}/", both["sandbox_key"].key)
    assert own.json()["external_id"] == SBX_TX


def _refund(external_id: str, sale: str) -> dict:
    return {**_sbx_sale(external_id, when=timezone.now(), amount="1.00"), "kind": "refund", "refund_of": sale}


# route → (body of a sandbox-key write naming live objects, body of a live-key write naming
# sandbox objects); each must be refused (4xx) and change nothing on the other side.
WRITES: dict[str, Callable[[dict], tuple[dict, dict]]] = {
    "transactions/": lambda d: (
        {"transactions": [_refund("sbx-refund", "other-secret-tx")]},
        {"transactions": [_refund("live-refund", SBX_TX)]},
    ),
    "consents/withdraw/": lambda d: (
        {"customer_ref": "cust-1", "consent_id": LIVE_CONSENT},
        {"customer_ref": "cust-1", "consent_id": SBX_CONSENT},
    ),
    # A live sale naming a sandbox offer (and the other way round) is refused, on transactions/.
    "offers/": None,
}


def test_writes_never_reach_the_other_side(api, both):
    missing = []
    for route, view_class in v1_routes():
        if "<" in route:
            continue
        for method in ("post", "put", "patch", "delete"):
            if not _implements(view_class, method):
                continue
            if route not in WRITES:
                missing.append(route)
                continue
            if WRITES[route] is None:
                continue
            from_sandbox, from_live = WRITES[route](both)
            for key, body in ((both["sandbox_key"].key, from_sandbox), (both["live_key"].key, from_live)):
                answer = _call(api, method, "/api/v1/" + route, key, body)
                assert answer.status_code in (400, 404), (method, route, answer.content)
    assert not missing, f"register these write routes in WRITES: {missing}"
    assert not Consent.objects.filter(withdrawn_at__isnull=False).exists()
    assert Transaction.objects.filter(kind="refund").count() == 0
    assert SandboxTransaction.objects.filter(kind="refund").count() == 0
    # Attribution: each side's sales name only its own side's offers.
    now = timezone.now().isoformat()
    for key, offer_id in ((both["live_key"], both["sbx_offer"]), (both["sandbox_key"], both["live_offer"])):
        sale = {
            **_sbx_sale("cross-" + offer_id[-6:], when=timezone.now(), offer_id=offer_id),
            "occurred_at": now,
        }
        answer = api.post("/api/v1/transactions/", {"transactions": [sale]}, format="json", **auth(key.key))
        assert answer.status_code == 400
        assert "transactions.0.offer_id" in answer.json()["error"]["fields"]


def test_settlement_and_statements_never_read_sandbox_rows(both):
    statement = Statement.objects.get(pk=both["statement"])
    assert statement.transaction_count == 1
    # Settling again, with sandbox rows of the same scenario, day and amount present, changes nothing.
    before = list(Statement.objects.values_list("pk", "transaction_count", "gross_amount", "share_amount"))
    settlement_start(through=date(2026, 1, 31), trigger="command")
    settlement_start(through=date(2026, 2, 28), trigger="command")
    for pk, count, gross, share in before:
        again = Statement.objects.get(pk=pk)
        assert (again.transaction_count, again.gross_amount, again.share_amount) == (count, gross, share)
    assert statement.gross_amount == Decimal("100.00")  # the live sale; the sandbox's 77.00s are not in it


def test_the_funnel_and_quote_counts_never_count_sandbox_offers(both):
    offer_quote_counts_flush()
    assert sum(OfferQuoteDaily.objects.values_list("quotes", flat=True)) == 1  # the live request only
    assert sum(OfferFunnelDaily.objects.values_list("offers", flat=True)) == 1
    assert not OfferCustomerDaily.objects.exists()  # only the sandbox offer named a customer
    assert OfferRecord.objects.filter(sandbox=True).count() == 1


def test_risk_signals_never_read_sandbox_rows(both):
    scan = risk_scan(day=REVENUE_DAY)
    text = repr(scan)
    assert SBX_TX not in text


def _console_pages() -> list[str]:
    pages = []

    def walk(patterns, prefix="console:"):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                continue
            if isinstance(entry, URLPattern) and not entry.pattern.converters and entry.name:
                pages.append(prefix + entry.name)

    walk(console_patterns)
    return pages


def test_staff_pages_and_exports_never_show_sandbox_rows(client, both):
    client.force_login(StaffFactory(email="root@bank.example", is_superuser=True))
    shown = 0
    for name in _console_pages():
        response = client.get(reverse(name))
        if response.status_code != 200 or "text/" not in response.get("Content-Type", ""):
            continue
        shown += 1
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode(errors="replace")
        assert not [m for m in both["sandbox_markers"] if m in text], name
    assert shown >= 3
    # The admin's transaction list (and its exports) read the live ledger only.
    response = client.get(reverse("admin:revenue_transaction_changelist"))
    assert response.status_code == 200
    assert SBX_TX not in response.content.decode()


def test_the_sweep_knows_every_route():
    routes = {route for route, _view in v1_routes()}
    assert {"transactions/", "offers/", "consents/withdraw/"} <= routes
    assert all(re.search(r"<", r) is None or r in OBJECTS for r in routes)
