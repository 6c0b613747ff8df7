"""``GET scenarios/``, ``GET scenarios/{code}/`` and ``POST offers/``: own scenarios only, scopes,
errors naming the field, protected fields ignored, fixed query counts."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.secrets import customer_reference
from scenarios.models import OfferQuoteDaily, OfferRecord
from scenarios.services import offer_log_flush, offer_quote_counts_flush
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ParticipationFactory, ScenarioFactory

from .factories import auth, issue

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def make_scenario(partner, code: str, *, products=(("trip-installment", "installment"),), status="active"):
    scenario = ScenarioFactory(code=code, name=code.replace("-", " ").title())
    for position, (product_code, category) in enumerate(products, start=1):
        BundleItemFactory(
            scenario=scenario, product=ProductFactory(code=product_code, category=category), position=position
        )
    ParticipationFactory(partner=partner, scenario=scenario, status=status)
    return scenario


@pytest.fixture
def travel(acme):
    return make_scenario(
        acme, "travel-finance", products=(("trip-installment", "installment"), ("trip-cover", "insurance"))
    )


@pytest.fixture
def mall(other):
    return make_scenario(other, "mall-credit", products=(("mall-credit-line", "consumer_credit"),))


def test_it_lists_the_scenarios_the_partner_takes_part_in(api, acme_key, travel, mall):
    response = api.get("/api/v1/scenarios/", **auth(acme_key.key))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["next"] is None
    assert body["previous"] is None
    assert body["results"] == [
        {
            "code": "travel-finance",
            "name": "Travel Finance",
            "industry": "travel",
            "version": 1,
            "trigger_events": ["booking.created"],
            "data_purposes": [],
            "data_shared": "Order amount and the customer's segment.",
            "data_purpose": "To price the installment offer.",
            "products": [
                {
                    "code": "trip-installment",
                    "name": travel.items.get(position=1).product.name,
                    "category": "installment",
                },
                {
                    "code": "trip-cover",
                    "name": travel.items.get(position=2).product.name,
                    "category": "insurance",
                },
            ],
        }
    ]


def test_a_requested_or_ended_participation_is_not_listed(api, acme, acme_key):
    make_scenario(acme, "asked", products=(("p-asked", "installment"),), status="requested")
    make_scenario(acme, "ended", products=(("p-ended", "installment"),), status="ended")
    assert api.get("/api/v1/scenarios/", **auth(acme_key.key)).json()["count"] == 0
    assert api.get("/api/v1/scenarios/asked/", **auth(acme_key.key)).status_code == 404


def test_the_list_costs_the_same_whatever_the_number_of_scenarios(
    api, acme, acme_key, travel, django_assert_num_queries
):
    api.get("/api/v1/me/", **auth(acme_key.key))  # the key and partner are cached from here on
    with django_assert_num_queries(3) as few:
        api.get("/api/v1/scenarios/", **auth(acme_key.key))
    for n in range(5):
        make_scenario(acme, f"more-{n}", products=((f"p-{n}-a", "installment"), (f"p-{n}-b", "insurance")))
    with django_assert_num_queries(len(few.captured_queries)):
        assert api.get("/api/v1/scenarios/", **auth(acme_key.key)).json()["count"] == 6


def test_it_shows_one_scenario_and_404s_another_partners(api, acme_key, travel, mall):
    response = api.get("/api/v1/scenarios/travel-finance/", **auth(acme_key.key))
    assert response.status_code == 200
    assert response.json()["code"] == "travel-finance"
    for code in ("mall-credit", "no-such-code"):
        response = api.get(f"/api/v1/scenarios/{code}/", **auth(acme_key.key))
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


def test_offers_are_priced_by_the_engine(api, acme_key, travel):
    response = api.post(
        "/api/v1/offers/",
        {"scenario": "travel-finance", "event": "booking.created", "amount": "10000.00", "tenor_months": 12},
        format="json",
        **auth(acme_key.key),
    )
    assert response.status_code == 200, response.content
    offers = response.json()["offers"]
    assert [(o["product"], o["category"]) for o in offers] == [
        ("trip-installment", "installment"),
        ("trip-cover", "insurance"),
    ]
    schedule = offers[0]["schedule"]
    assert len(schedule) == 12
    assert sum(D(row["principal"]) for row in schedule) == D("10000.00")
    for row in schedule:
        assert D(row["payment"]) == D(row["principal"]) + D(row["interest"]) + D(row["fee"])
    offer_quote_counts_flush()
    assert OfferQuoteDaily.objects.get().quotes == 1


def test_each_offer_carries_an_id_and_its_expiry_and_the_answer_a_request_id(
    api, acme, acme_key, travel, settings
):
    settings.OFFER_VALIDITY_MINUTES = 30
    body = {
        "scenario": "travel-finance",
        "event": "booking.created",
        "amount": "10000.00",
        "tenor_months": 12,
    }
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, 0, tzinfo=SHANGHAI), tick=False):
        first = api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key)).json()
        second = api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key)).json()

    assert list(first) == ["request_id", "offers"]
    assert first["request_id"] != second["request_id"]
    offers = first["offers"] + second["offers"]
    ids = [o["offer_id"] for o in offers]
    assert len(set(ids)) == len(ids) == 4
    assert all(re.fullmatch(r"ofr_[A-Za-z0-9_-]{22}", offer_id) for offer_id in ids)
    assert {o["expires_at"] for o in offers} == {"2026-11-30T10:30:00+08:00"}
    assert list(offers[0])[:4] == ["offer_id", "expires_at", "product", "category"]

    # Every answered offer is in the log under its id, with the key's prefix (never the key).
    offer_log_flush()
    logged = dict(OfferRecord.objects.values_list("offer_id", "request_id"))
    assert logged == {o["offer_id"]: r["request_id"] for r in (first, second) for o in r["offers"]}
    assert set(OfferRecord.objects.values_list("partner_id", "key_prefix", "channel", "tryout")) == {
        (acme.pk, acme_key.api_key.prefix, "api", False)
    }


def test_a_customer_reference_is_stored_only_as_the_partners_keyed_hash(api, acme, acme_key, travel):
    body = {
        "scenario": "travel-finance",
        "event": "booking.created",
        "amount": "100.00",
        "customer": {
            "ref": "member-8812",
            "consent": {"id": "cns-1", "purposes": ["marketing"], "granted_at": "2026-01-05T09:30:00+08:00"},
        },
    }
    assert api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key)).status_code == 200
    offer_log_flush()
    refs = set(OfferRecord.objects.values_list("customer_ref", flat=True))
    assert refs == {customer_reference(partner_id=acme.pk, customer_id="member-8812")}
    assert "member-8812" not in refs.pop()


def test_a_customer_without_a_reference_is_a_400_naming_it(api, acme_key, travel):
    body = {"scenario": "travel-finance", "event": "booking.created", "amount": "100.00", "customer": {}}
    response = api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key))
    assert response.status_code == 400
    assert "customer.ref" in response.json()["error"]["fields"]


def test_recording_the_offers_costs_the_request_no_query(
    api, acme_key, travel, django_assert_num_queries, settings
):
    settings.OFFER_LOG_BATCH = 10_000
    settings.API_ACCESS_LOG_BATCH = 10_000
    settings.API_ACCESS_LOG_FLUSH_SECONDS = 3600
    body = {"scenario": "travel-finance", "event": "booking.created", "amount": "100.00"}
    api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key))  # key and terms cached
    # No query: the version's terms come from the process's cache, the log is buffered.
    with django_assert_num_queries(0):
        assert api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key)).status_code == 200
    assert not OfferRecord.objects.exists()


def test_offers_need_the_offers_scope(api, acme, travel):
    read_only = issue(acme, scopes=["read"])
    response = api.post(
        "/api/v1/offers/",
        {"scenario": "travel-finance", "event": "booking.created", "amount": "100.00"},
        format="json",
        **auth(read_only.key),
    )
    assert response.status_code == 403
    assert "offers" in response.json()["error"]["message"]
    offer_quote_counts_flush()
    assert not OfferQuoteDaily.objects.exists()


def test_reads_need_the_read_scope(api, acme, travel):
    offers_only = issue(acme, scopes=["offers"])
    for url in ("/api/v1/me/", "/api/v1/scenarios/", "/api/v1/scenarios/travel-finance/", "/api/v1/usage/"):
        response = api.get(url, **auth(offers_only.key))
        assert response.status_code == 403, url
        assert "read" in response.json()["error"]["message"]


def test_another_partners_scenario_is_a_404_naming_the_field(api, acme_key, mall):
    response = api.post(
        "/api/v1/offers/",
        {"scenario": "mall-credit", "event": "booking.created", "amount": "100.00"},
        format="json",
        **auth(acme_key.key),
    )
    assert response.status_code == 404
    assert list(response.json()["error"]["fields"]) == ["scenario"]
    # Answered exactly as for a scenario that does not exist: nothing tells them apart.
    missing = api.post(
        "/api/v1/offers/",
        {"scenario": "no-such-scenario", "event": "booking.created", "amount": "100.00"},
        format="json",
        **auth(acme_key.key),
    )
    assert missing.status_code == 404
    # Both name the field; each message names the code asked for, and nothing else differs.
    assert list(missing.json()["error"]["fields"]) == list(response.json()["error"]["fields"])
    assert missing.json()["error"]["code"] == response.json()["error"]["code"]
    assert response.json()["error"]["message"] == "No scenario “mall-credit” is available to you."
    assert missing.json()["error"]["message"] == "No scenario “no-such-scenario” is available to you."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "booking.created", "amount": "100.00"}, "scenario"),
        ({"scenario": "travel-finance", "event": "booking.created", "amount": "1.005"}, "amount"),
        ({"scenario": "travel-finance", "event": "booking.created", "amount": "abc"}, "amount"),
        ({"scenario": "travel-finance", "event": "order.paid", "amount": "100.00"}, "event"),
        ({"scenario": "travel-finance", "event": "booking.created", "amount": "-5.00"}, "amount"),
        (
            {"scenario": "travel-finance", "event": "booking.created", "amount": "100.00", "tenor_months": 0},
            "tenor_months",
        ),
        (
            {
                "scenario": "travel-finance",
                "event": "booking.created",
                "amount": "100.00",
                "currency": "RMBX",
            },
            "currency",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(api, acme_key, travel, body, field):
    response = api.post("/api/v1/offers/", body, format="json", **auth(acme_key.key))
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    offer_quote_counts_flush()
    assert not OfferQuoteDaily.objects.filter(quotes__gt=0).exists()


def test_a_body_that_is_not_json_is_refused_in_the_error_shape(api, acme_key, travel):
    response = api.post("/api/v1/offers/", "scenario=x", content_type="text/plain", **auth(acme_key.key))
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    response = api.post("/api/v1/offers/", "{not json", content_type="application/json", **auth(acme_key.key))
    assert response.status_code == 400


def test_protected_fields_cannot_be_written(api, acme, acme_key, other, travel):
    response = api.post(
        "/api/v1/offers/",
        {
            "scenario": "travel-finance",
            "event": "booking.created",
            "amount": "100.00",
            "partner": other.slug,
            "partner_id": other.pk,
            "status": "retired",
            "id": 999,
        },
        format="json",
        **auth(acme_key.key),
    )
    assert response.status_code == 200
    offer_quote_counts_flush()
    row = OfferQuoteDaily.objects.get()
    assert row.partner_id == acme.pk
    travel.refresh_from_db()
    assert travel.status == "published"
