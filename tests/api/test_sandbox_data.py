"""Sandbox data through the open API (docs/sandbox.md, *Sandbox data*): what a sandbox key sees
and writes, and that it never reaches live data (nor live keys the sandbox's)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from revenue.models import SandboxTransaction, Transaction
from scenarios.models import Consent, OfferQuoteDaily, OfferRecord
from scenarios.services import offer_log_flush
from scenarios.services.offers import offer_quote_counts_flush
from tests.factories import IndustryFactory
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ScenarioFactory

from .factories import auth, issue
from .test_scenarios import make_scenario

pytestmark = pytest.mark.django_db
PURPOSES = ["offer_personalisation", "credit_pre_assessment"]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.API_RATE_BURST = (100_000, 1)
    settings.API_SANDBOX_RATE_BURST = (100_000, 1)


@pytest.fixture
def sandbox_key(acme):
    return issue(acme, sandbox=True, name="Sandbox")


@pytest.fixture
def travel(acme):
    """A scenario acme joined (live and sandbox see it)."""
    return make_scenario(acme, "travel-finance")


@pytest.fixture
def unjoined(other):
    """A published scenario of acme's industry that acme never joined (other did)."""
    return make_scenario(other, "hotel-finance", products=(("hotel-installment", "installment"),))


def elsewhere():
    """A published scenario of another industry."""
    scenario = ScenarioFactory(code="car-finance", industry=IndustryFactory(code="auto"))
    BundleItemFactory(scenario=scenario, product=ProductFactory(code="car-loan", category="installment"))
    return scenario


def sale(
    external_id="sbx-1", *, scenario="travel-finance", product="trip-installment", amount="100.00", **more
):
    when = (timezone.now() - timedelta(hours=1)).isoformat()
    return {
        "external_id": external_id,
        "scenario": scenario,
        "product": product,
        "kind": "sale",
        "amount": amount,
        "currency": "CNY",
        "occurred_at": when,
        **more,
    }


def post(api, key, *items):
    return api.post("/api/v1/transactions/", {"transactions": list(items)}, format="json", **auth(key))


def offer(api, key, scenario="travel-finance", **body):
    body = {"scenario": scenario, "event": "booking.created", "amount": "1000.00", **body}
    response = api.post("/api/v1/offers/", body, format="json", **auth(key))
    assert response.status_code == 200, response.json()
    return response.json()["offers"][0]["offer_id"]


# --------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------
def test_a_sandbox_key_sees_every_published_scenario_of_its_industry_without_joining(
    api, acme_key, sandbox_key, travel, unjoined
):
    elsewhere()
    codes = lambda key: [s["code"] for s in api.get("/api/v1/scenarios/", **auth(key)).json()["results"]]  # noqa: E731
    assert codes(sandbox_key.key) == ["hotel-finance", "travel-finance"]
    assert codes(acme_key.key) == ["travel-finance"]  # live keys keep today's rule
    assert api.get("/api/v1/scenarios/hotel-finance/", **auth(sandbox_key.key)).status_code == 200
    assert api.get("/api/v1/scenarios/hotel-finance/", **auth(acme_key.key)).status_code == 404
    assert api.get("/api/v1/scenarios/car-finance/", **auth(sandbox_key.key)).status_code == 404


def test_a_sandbox_key_gets_offers_of_an_unjoined_scenario_logged_as_sandbox_and_never_counted(
    api, acme_key, sandbox_key, unjoined
):
    offer_id = offer(api, sandbox_key.key, scenario="hotel-finance")
    assert (
        api.post(
            "/api/v1/offers/",
            {"scenario": "hotel-finance", "event": "booking.created", "amount": "1000.00"},
            format="json",
            **auth(acme_key.key),
        ).status_code
        == 404
    )
    offer_log_flush()
    offer_quote_counts_flush()
    record = OfferRecord.objects.get(offer_id=offer_id)
    assert record.sandbox is True
    assert record.tryout is False
    assert not OfferQuoteDaily.objects.exists()


# --------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------
def test_sandbox_transactions_go_to_the_sandbox_ledger_only_and_read_back_only_there(
    api, acme_key, sandbox_key, travel
):
    response = post(api, sandbox_key.key, sale())
    assert response.status_code == 201, response.json()
    (result,) = response.json()["results"]
    assert result["status"] == "created"
    assert not Transaction.objects.exists()
    row = SandboxTransaction.objects.get()
    assert result["id"] == row.pk
    listed = api.get("/api/v1/transactions/", **auth(sandbox_key.key)).json()["results"]
    assert [t["external_id"] for t in listed] == ["sbx-1"]
    assert listed[0]["statement"] is None
    assert (
        api.get(f"/api/v1/transactions/{row.pk}/", **auth(sandbox_key.key)).json()["external_id"] == "sbx-1"
    )
    # The same external_id in live is a new, live row; neither side sees the other's.
    live = post(api, acme_key.key, sale(occurred_at=(timezone.now() - timedelta(hours=2)).isoformat()))
    assert live.status_code == 201, live.json()
    live_id = live.json()["results"][0]["id"]
    assert [t["id"] for t in api.get("/api/v1/transactions/", **auth(acme_key.key)).json()["results"]] == [
        live_id
    ]
    assert [t["id"] for t in api.get("/api/v1/transactions/", **auth(sandbox_key.key)).json()["results"]] == [
        row.pk
    ]
    if live_id != row.pk:
        assert api.get(f"/api/v1/transactions/{live_id}/", **auth(sandbox_key.key)).status_code == 404
        assert api.get(f"/api/v1/transactions/{row.pk}/", **auth(acme_key.key)).status_code == 404


def test_a_sandbox_replay_is_a_duplicate_and_other_content_a_conflict(api, sandbox_key, travel):
    item = sale()
    assert post(api, sandbox_key.key, item).status_code == 201
    again = post(api, sandbox_key.key, item)
    assert again.status_code == 200
    assert again.json()["duplicates"] == 1
    assert again.json()["results"][0]["status"] == "duplicate"
    conflict = post(api, sandbox_key.key, {**item, "amount": "101.00"}, sale("sbx-2"))
    assert conflict.status_code == 409
    assert SandboxTransaction.objects.count() == 1  # nothing of the batch written


def test_a_sandbox_key_may_report_against_an_unjoined_scenario_of_its_industry_only(
    api, sandbox_key, unjoined
):
    elsewhere()
    ok = post(api, sandbox_key.key, sale(scenario="hotel-finance", product="hotel-installment"))
    assert ok.status_code == 201, ok.json()
    bad = post(api, sandbox_key.key, sale("sbx-9", scenario="car-finance", product="car-loan"))
    assert bad.status_code == 400
    assert "transactions.0.scenario" in bad.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"amount": "0.00"}, "transactions.0.amount"),
        ({"amount": "1000000000.00"}, "transactions.0.amount"),
        ({"product": "no-such-product"}, "transactions.0.product"),
        ({"currency": "USD"}, "transactions.0.currency"),
        ({"occurred_at": "2999-01-01T00:00:00+08:00"}, "transactions.0.occurred_at"),
        ({"kind": "refund"}, "transactions.0.refund_of"),
        ({"offer_id": "ofr_unknown"}, "transactions.0.offer_id"),
    ],
)
def test_sandbox_input_is_checked_exactly_as_live(api, acme_key, sandbox_key, travel, item, field):
    for key in (sandbox_key, acme_key):
        response = post(api, key.key, sale(**item))
        assert response.status_code == 400, response.json()
        assert field in response.json()["error"]["fields"]
    assert not SandboxTransaction.objects.exists()


def test_sandbox_refunds_follow_the_live_rules(api, acme_key, sandbox_key, travel):
    live_sale = sale("live-sale")
    assert post(api, acme_key.key, live_sale).status_code == 201
    refund = lambda eid, sale_id, amount: {  # noqa: E731
        **sale(eid, amount=amount),
        "kind": "refund",
        "refund_of": sale_id,
        "occurred_at": timezone.now().isoformat(),
    }
    # A live sale does not exist in the sandbox.
    response = post(api, sandbox_key.key, refund("r-0", "live-sale", "1.00"))
    assert response.status_code == 400
    assert "transactions.0.refund_of" in response.json()["error"]["fields"]
    # A sale and its refund in one batch (refund first), then a refund beyond what remains.
    ok = post(api, sandbox_key.key, refund("r-1", "s-1", "60.00"), sale("s-1"))
    assert ok.status_code == 201, ok.json()
    r1 = SandboxTransaction.objects.get(external_id="r-1")
    assert r1.refund_of.external_id == "s-1"
    too_much = post(api, sandbox_key.key, refund("r-2", "s-1", "40.01"))
    assert too_much.status_code == 400
    assert "transactions.0.amount" in too_much.json()["error"]["fields"]
    assert post(api, sandbox_key.key, refund("r-2", "s-1", "40.00")).status_code == 201
    listed = api.get("/api/v1/transactions/", **auth(sandbox_key.key)).json()["results"]
    assert {t["external_id"]: t["refund_of"] for t in listed} == {"s-1": None, "r-1": "s-1", "r-2": "s-1"}


def test_attribution_stays_on_its_side(api, acme_key, sandbox_key, travel):
    sale = lambda eid="sbx-1", **more: globals()["sale"](eid, occurred_at=timezone.now().isoformat(), **more)  # noqa: E731
    sandbox_offer = offer(api, sandbox_key.key)
    live_offer = offer(api, acme_key.key)
    offer_log_flush()
    ok = post(api, sandbox_key.key, sale(offer_id=sandbox_offer))
    assert ok.status_code == 201, ok.json()
    assert SandboxTransaction.objects.get().offer_id == sandbox_offer
    for key, offer_id in ((sandbox_key, live_offer), (acme_key, sandbox_offer)):
        response = post(api, key.key, sale("x-" + offer_id[:8], offer_id=offer_id))
        assert response.status_code == 400, response.json()
        assert "transactions.0.offer_id" in response.json()["error"]["fields"]
    assert post(api, acme_key.key, sale("live-1", offer_id=live_offer)).status_code == 201


# --------------------------------------------------------------------------------------
# Consents, statements, agreements, usage, funnel
# --------------------------------------------------------------------------------------
def test_sandbox_consents_are_kept_apart_and_a_sandbox_withdrawal_never_touches_live(
    api, acme_key, sandbox_key, travel
):
    travel.data_purposes = PURPOSES
    travel.save(update_fields=["data_purposes"])
    consent = {"id": "cns-1", "purposes": PURPOSES, "granted_at": "2026-01-05T09:30:00+08:00"}
    for key in (acme_key, sandbox_key):
        offer(api, key.key, customer={"ref": "member-1", "consent": consent})
    assert sorted(Consent.objects.values_list("sandbox", flat=True)) == [False, True]
    body = {"customer_ref": "member-1", "consent_id": "cns-1"}
    assert (
        api.post("/api/v1/consents/withdraw/", body, format="json", **auth(sandbox_key.key)).status_code
        == 200
    )
    assert Consent.objects.get(sandbox=False).withdrawn_at is None
    assert Consent.objects.get(sandbox=True).withdrawn_at is not None
    # The live consent still answers offers; the sandbox one is refused.
    offer(api, acme_key.key, customer={"ref": "member-1", "consent": consent})
    refused = api.post(
        "/api/v1/offers/",
        {
            "scenario": "travel-finance",
            "event": "booking.created",
            "amount": "1.00",
            "customer": {"ref": "member-1", "consent": consent},
        },
        format="json",
        **auth(sandbox_key.key),
    )
    assert refused.status_code == 400


def test_a_sandbox_key_gets_empty_statements_agreements_and_funnel(api, sandbox_key, travel):
    for route in ("statements/", "agreements/"):
        body = api.get(f"/api/v1/{route}", **auth(sandbox_key.key)).json()
        assert body["results"] == [], route
    assert api.get("/api/v1/statements/1/", **auth(sandbox_key.key)).status_code == 404
    funnel = api.get("/api/v1/insights/funnel/", **auth(sandbox_key.key))
    assert funnel.status_code == 200
    assert funnel.json() == {"results": []}
