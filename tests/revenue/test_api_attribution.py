"""``POST transactions/`` items name their offer (``offer_id``); every offer the partner may not
take answers the same 400 naming ``transactions.<i>.offer_id``; ``GET transactions/`` shows the
offer and, for refunds, the sale."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from revenue.models import Transaction
from scenarios.models import OfferRecord
from tests.api.factories import api_partner, auth, issue

from .factories import offer_logged

pytestmark = pytest.mark.django_db

SOLD = "2026-03-20T12:00:00+08:00"
OFFER = "ofr_4mB0x9TqLr2VbZ7nWc1sEA"


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def partner(db):
    return api_partner("skyway")


@pytest.fixture
def other_partner(db):
    return api_partner("charlie-trips")


@pytest.fixture
def key(partner):
    return issue(partner).key


@pytest.fixture
def api():
    return APIClient()


def sold(delta: timedelta = timedelta(0)) -> datetime:
    return datetime.fromisoformat(SOLD) + delta


def tx(external_id="order-1", **overrides):
    body = {
        "external_id": external_id,
        "scenario": "travel-finance",
        "product": "trip-installment",
        "kind": "sale",
        "amount": "1234.50",
        "currency": "CNY",
        "occurred_at": SOLD,
    }
    body.update(overrides)
    return body


def post(api, key, *items):
    return api.post("/api/v1/transactions/", {"transactions": list(items)}, format="json", **auth(key))


def test_a_sale_takes_its_offer_and_the_list_shows_offer_and_refund_of(api, key, partner, joined):
    offer_logged(partner, offer_id=OFFER, quoted_at=sold(-timedelta(days=2)))

    response = post(
        api,
        key,
        tx("a", offer_id=OFFER),
        tx("a-r1", kind="refund", amount="10.00", refund_of="a"),
        tx("b"),
    )

    assert response.status_code == 201, response.json()
    rows = {
        row["external_id"]: row for row in api.get("/api/v1/transactions/", **auth(key)).json()["results"]
    }
    assert {e: (r["offer_id"], r["refund_of"]) for e, r in rows.items()} == {
        "a": (OFFER, None),
        "a-r1": (OFFER, "a"),
        "b": (None, None),
    }
    detail = api.get(f"/api/v1/transactions/{rows['a-r1']['id']}/", **auth(key)).json()
    assert (detail["offer_id"], detail["refund_of"]) == (OFFER, "a")


def test_the_list_keeps_its_query_count_with_attributed_rows(api, key, partner, joined):
    offer_logged(partner, offer_id=OFFER, quoted_at=sold(-timedelta(days=2)))
    post(api, key, tx("a", offer_id=OFFER))

    def listed() -> tuple[int, int]:
        api.get("/api/v1/transactions/", **auth(key))  # warm: key and rate caches
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/api/v1/transactions/", **auth(key))
        return len(captured), len(response.json()["results"])

    few = listed()
    post(api, key, *[tx(f"s-{n}", offer_id=OFFER) for n in range(20)],
         *[tx(f"r-{n}", kind="refund", amount="1.00", refund_of=f"s-{n}") for n in range(20)])  # fmt: skip
    many = listed()

    assert (few[1], many[1]) == (1, 41)
    assert few[0] == many[0]


REFUSED = {
    "another partner's": lambda partner, other: offer_logged(
        other, offer_id=OFFER, quoted_at=sold(-timedelta(days=1))
    ),
    "a try-out": lambda partner, other: offer_logged(
        partner, offer_id=OFFER, quoted_at=sold(-timedelta(days=1)), tryout=True
    ),
    "too old": lambda partner, other: offer_logged(
        partner, offer_id=OFFER, quoted_at=sold(-timedelta(days=30, seconds=1))
    ),
    "quoted after the sale": lambda partner, other: offer_logged(
        partner, offer_id=OFFER, quoted_at=sold(timedelta(minutes=10, seconds=1))
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_an_offer_the_partner_may_not_take_answers_exactly_as_an_unknown_one(
    api, key, partner, other_partner, joined, case
):
    REFUSED[case](partner, other_partner)
    refused = post(api, key, tx("a"), tx("b", offer_id=OFFER))
    OfferRecord.objects.filter(offer_id=OFFER).delete()

    unknown = post(api, key, tx("a"), tx("b", offer_id=OFFER))

    assert refused.status_code == unknown.status_code == 400
    assert refused.json() == unknown.json()
    assert list(unknown.json()["error"]["fields"]) == ["transactions.1.offer_id"]
    assert unknown.json()["error"]["fields"]["transactions.1.offer_id"] == [
        f"No offer “{OFFER}” was quoted to you in the 30 days up to this transaction."
    ]
    assert not Transaction.objects.exists()


def test_an_offer_of_another_product_is_400_naming_the_offer_id(api, key, partner, joined):
    offer_logged(partner, offer_id=OFFER, product="trip-cover", quoted_at=sold(-timedelta(days=1)))

    response = post(api, key, tx("a", offer_id=OFFER))

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "transactions.0.offer_id": [f"The offer “{OFFER}” was for another product (trip-cover)."]
    }


def test_a_refund_naming_another_offer_than_its_sales_is_400(api, key, partner, joined):
    offer_logged(partner, offer_id=OFFER, quoted_at=sold(-timedelta(days=1)))
    offer_logged(partner, offer_id="ofr_other_offer_0000", quoted_at=sold(-timedelta(days=1)))

    response = post(
        api,
        key,
        tx("a", offer_id=OFFER),
        tx("a-r1", kind="refund", amount="1.00", refund_of="a", offer_id="ofr_other_offer_0000"),
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["transactions.1.offer_id"]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("value", [42, "", "  ", "x" * 41, "ofr_\x00", ["ofr_a"]])
def test_an_offer_id_that_is_not_a_short_string_is_400_naming_it(api, key, joined, value):
    response = post(api, key, tx("a", offer_id=value))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["transactions.0.offer_id"]


def test_a_replay_of_an_attributed_sale_is_a_duplicate(api, key, partner, joined):
    offer_logged(partner, offer_id=OFFER, quoted_at=sold(-timedelta(days=1)))
    first = post(api, key, tx("a", offer_id=OFFER), tx("b"))

    replay = post(api, key, tx("a", offer_id=OFFER), tx("b"))
    late_offer = post(api, key, tx("b", offer_id=OFFER))

    assert (first.status_code, replay.status_code, late_offer.status_code) == (201, 200, 409)
    assert replay.json()["duplicates"] == 2


def test_the_schema_documents_the_offer_in_and_out(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    item = components["TransactionItemRequest"]["properties"]["offer_id"]
    assert (item["type"], item["maxLength"]) == ("string", 40)
    assert "OFFER_ATTRIBUTION_DAYS" in item["description"]
    assert "offer_id" not in components["TransactionItemRequest"].get("required", [])
    shown = components["Transaction"]["properties"]
    assert shown["offer_id"]["type"] == "string"
    assert shown["offer_id"]["nullable"] is True
    assert shown["refund_of"]["nullable"] is True
    assert "offer_id" in components["Transaction"]["required"]
