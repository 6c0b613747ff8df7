"""The open API routes of revenue sharing: transactions in (all or nothing, idempotent),
transactions, agreements and statements out, each scoped to the calling partner."""

import json
from datetime import date, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from revenue import services
from revenue.models import Statement, Transaction
from revenue.services import settlement_start
from tests.api.factories import api_partner, auth, issue

from .factories import agreement_in_force, join

pytestmark = pytest.mark.django_db


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
def read_key(partner):
    return issue(partner, scopes=("read",), name="reader").key


@pytest.fixture
def other_key(other_partner, scenario):
    join(other_partner, scenario)
    return issue(other_partner).key


@pytest.fixture
def api():
    return APIClient()


def tx(external_id="order-1", **overrides):
    body = {
        "external_id": external_id,
        "scenario": "travel-finance",
        "product": "trip-installment",
        "kind": "sale",
        "amount": "1234.50",
        "currency": "CNY",
        "occurred_at": "2026-01-15T10:00:00+08:00",
    }
    body.update(overrides)
    return body


def post(api, key, *items):
    return api.post("/api/v1/transactions/", {"transactions": list(items)}, format="json", **auth(key))


def test_it_records_a_batch_and_answers_201_with_each_result(api, key, joined):
    response = post(api, key, tx("a"), tx("b", kind="refund", amount="10.00", refund_of="a"))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 2
    assert body["duplicates"] == 0
    assert [(r["external_id"], r["status"]) for r in body["results"]] == [("a", "created"), ("b", "created")]
    assert Transaction.objects.count() == 2


def test_an_identical_replay_is_a_duplicate_with_200_and_no_new_row(api, key, joined):
    first = post(api, key, tx("a"), tx("b"))
    replay = post(api, key, tx("a"), tx("b"))

    assert replay.status_code == 200
    assert replay.json()["duplicates"] == 2
    assert [r["id"] for r in replay.json()["results"]] == [r["id"] for r in first.json()["results"]]
    assert Transaction.objects.count() == 2


def test_a_partial_replay_creates_only_the_new_ones(api, key, joined):
    post(api, key, tx("a"))

    response = post(api, key, tx("a"), tx("c"))

    assert response.status_code == 201
    assert [r["status"] for r in response.json()["results"]] == ["duplicate", "created"]


def test_the_same_external_id_with_other_content_is_409_and_nothing_is_written(api, key, joined):
    post(api, key, tx("a"))

    response = post(api, key, tx("new-one"), tx("a", amount="1.00"))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert not Transaction.objects.filter(external_id="new-one").exists()


def test_bad_input_is_400_naming_the_field_and_nothing_is_written(api, key, joined):
    response = post(api, key, tx("a"), tx("b", amount="-3"), tx("c", product="unknown-product"))

    assert response.status_code == 400
    assert "transactions.1.amount" in response.json()["error"]["fields"]
    assert Transaction.objects.count() == 0


def test_a_product_outside_the_bundle_is_400_naming_the_product(api, key, joined):
    from tests.products.factories import ProductFactory

    ProductFactory(code="not-bundled")

    response = post(api, key, tx("a"), tx("b", product="not-bundled"))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["transactions.1.product"]
    assert Transaction.objects.count() == 0


def test_a_scenario_the_partner_is_not_in_is_400_naming_the_scenario(api, key, scenario):
    response = post(api, key, tx("a"))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["transactions.0.scenario"]


def test_an_empty_or_oversized_batch_is_400(api, key, joined):
    assert post(api, key).status_code == 400
    too_many = [tx(f"x{i}") for i in range(1001)]
    assert post(api, key, *too_many).status_code == 400
    assert Transaction.objects.count() == 0


def test_posting_needs_the_transactions_scope(api, read_key, joined):
    response = post(api, read_key, tx("a"))

    assert response.status_code == 403
    assert Transaction.objects.count() == 0


def test_the_customer_id_is_stored_only_as_a_keyed_hash(api, key, joined):
    post(api, key, tx("a", customer_id="customer-42"))

    stored = Transaction.objects.get()
    assert stored.customer_ref
    assert "customer-42" not in stored.customer_ref
    assert len(stored.customer_ref) == 64


def test_it_lists_own_transactions_with_filters_and_statement(api, key, other_key, joined):
    post(
        api,
        key,
        tx("jan", occurred_at="2026-01-15T10:00:00+08:00"),
        tx("feb", occurred_at="2026-02-15T10:00:00+08:00"),
    )
    post(api, other_key, tx("charlies"))

    listing = api.get("/api/v1/transactions/", {"occurred_after": "2026-02-01T00:00:00+08:00"}, **auth(key))

    assert listing.status_code == 200
    results = listing.json()["results"]
    assert [r["external_id"] for r in results] == ["feb"]
    assert results[0]["statement"] is None
    assert results[0]["amount"] == "1234.50"
    assert listing.json()["count"] == 1


def test_transactions_filter_by_a_window_after_inclusive_before_exclusive_and_by_scenario(api, key, joined):
    post(
        api,
        key,
        tx("jan", occurred_at="2026-01-15T10:00:00+08:00"),
        tx("feb", occurred_at="2026-02-15T10:00:00+08:00"),
        tx("mar", occurred_at="2026-03-15T10:00:00+08:00"),
    )

    def listed(**query):
        response = api.get("/api/v1/transactions/", query, **auth(key))
        assert response.status_code == 200, response.content
        return [row["external_id"] for row in response.json()["results"]]

    feb = "2026-02-15T02:00:00Z"  # the same instant as feb's time in Beijing
    assert listed(occurred_after=feb) == ["mar", "feb"]
    assert listed(occurred_before=feb) == ["jan"]
    assert listed(
        occurred_after="2026-01-01T00:00:00+08:00", occurred_before=feb, scenario="travel-finance"
    ) == ["jan"]
    assert listed(scenario="another-scenario") == []


def test_another_partners_transaction_is_404(api, key, other_key, joined):
    theirs = post(api, other_key, tx("charlies")).json()["results"][0]["id"]
    mine = post(api, key, tx("mine")).json()["results"][0]["id"]

    assert api.get(f"/api/v1/transactions/{theirs}/", **auth(key)).status_code == 404
    assert api.get(f"/api/v1/transactions/{mine}/", **auth(key)).json()["external_id"] == "mine"


def test_statements_carry_lines_that_sum_to_the_totals(
    api, key, other_key, maker, checker, partner, scenario, joined
):
    agreement = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    post(
        api,
        key,
        tx("a", amount="100.00"),
        tx("b", kind="refund", amount="40.00", refund_of="a"),
        tx("c", product="trip-cover"),
    )
    settlement_start(through=date(2026, 1, 31), trigger="command")
    statement = Statement.objects.get()

    listing = api.get("/api/v1/statements/", **auth(key)).json()
    detail = api.get(f"/api/v1/statements/{statement.pk}/", **auth(key))

    assert listing["count"] == 1
    body = detail.json()
    assert body["agreement"] == agreement.pk
    assert (body["period_start"], body["period_end"]) == ("2026-01-01", "2026-01-31")
    kinds = {(line["product"], line["kind"]): line for line in body["lines"]}
    assert kinds[("trip-installment", "refund")]["gross_amount"] == "-40.00"
    assert kinds[("trip-installment", "refund")]["share_amount"] == "-12.00"
    assert body["gross_amount"] == "1294.50"
    assert body["share_amount"] == "388.35"
    assert body["transaction_count"] == 3
    assert api.get(f"/api/v1/statements/{statement.pk}/", **auth(other_key)).status_code == 404
    assert api.get("/api/v1/transactions/", **auth(key)).json()["results"][0]["statement"] == statement.pk


def test_agreements_list_the_partners_approved_agreements_only(
    api, key, other_key, maker, checker, partner, scenario, joined
):
    agreement = agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, model="tiered"
    )
    waiting = services.agreement_create(
        actor=maker, partner=partner, scenario=scenario, model="percentage", terms={"rate": "0.4"},
        cycle="monthly", effective_from=date(2026, 6, 1), supersedes=agreement,
    )  # fmt: skip
    services.agreement_submit(agreement=waiting, actor=maker)
    services.agreement_approve(agreement=waiting, actor=checker)  # sent, not accepted: not listed

    body = api.get("/api/v1/agreements/", **auth(key)).json()

    assert body["count"] == 1
    row = body["results"][0]
    assert (row["status"], row["acceptance"]) == ("active", "portal")
    assert row["terms_sha256"] == agreement.terms_sha256
    assert abs(datetime.fromisoformat(row["accepted_at"]) - agreement.accepted_at) < timedelta(seconds=1)
    assert row["model"] == "tiered"
    assert row["scenario"] == "travel-finance"
    assert row["terms"] == {
        "tiers": [{"up_to": "1000.00", "rate": "0.100000"}, {"up_to": None, "rate": "0.200000"}]
    }
    assert api.get("/api/v1/agreements/", **auth(other_key)).json()["count"] == 0


def test_every_bad_field_of_every_item_is_named(api, key, joined):
    bad = tx("b", occurred_at="yesterday", kind="gift", currency="RMBX")
    del bad["product"]

    response = post(api, key, tx("a"), bad, tx("c", amount="1.234"), "not-an-object")

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {
        "transactions.1.occurred_at",
        "transactions.1.kind",
        "transactions.1.currency",
        "transactions.1.product",
        "transactions.2.amount",
        "transactions.3.non_field_errors",
    }
    assert Transaction.objects.count() == 0


def test_a_time_without_offset_is_read_in_asia_shanghai(api, key, joined):
    post(api, key, tx("a", occurred_at="2026-01-15T10:00:00"))

    assert Transaction.objects.get().occurred_at.isoformat() == "2026-01-15T02:00:00+00:00"


@pytest.mark.parametrize(
    "amount",
    [
        1e3,
        12.5,
        100,
        "1e3",
        "1E-2",
        "1_000.00",
        "١٠٠.٠٠",
        "NaN",
        "Infinity",
        "12.345",
        "-3.00",
        "0.00",
        ["1.00"],
    ],
)
def test_an_amount_that_is_not_a_string_of_ascii_digits_with_two_decimals_is_400_naming_it(
    api, key, joined, amount
):
    response = post(api, key, tx("a"), tx("b", amount=amount))

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"transactions.1.amount"}
    assert Transaction.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("occurred_at", "0001-01-01T00:00:00+08:00"),
        ("occurred_at", "1900-01-01T00:00:00Z"),
        ("occurred_at", "2026-01-15T10:00:00+08:05:43"),
        ("occurred_at", "0001-01-01Z"),
        ("external_id", "order\x00-1"),
        ("external_id", "order\ud800"),
        ("customer_id", "cust\x00"),
        ("external_id", ["order-1"]),
        ("scenario", {"code": "travel-finance"}),
        ("product", ["trip-installment"]),
        ("kind", ["sale"]),
        ("kind", {"sale": 1}),
        ("currency", ["C", "N", "Y"]),
        ("currency", "CN\x00"),
        ("customer_id", {"id": 1}),
    ],
)
def test_a_hostile_value_is_400_naming_its_field_never_a_500(api, key, joined, field, value):
    item = tx("a")
    item[field] = value
    body = json.dumps({"transactions": [item]})  # ASCII: a lone surrogate travels as \ud800

    response = api.post("/api/v1/transactions/", body, content_type="application/json", **auth(key))

    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["fields"]) == {f"transactions.0.{field}"}
    assert Transaction.objects.count() == 0


def test_a_batch_that_is_not_a_list_of_objects_is_400(api, key, joined):
    for body in (
        {"transactions": {"0": tx("a")}},
        {"transactions": "a"},
        ["a"],
        {"transactions": [[tx("a")]]},
    ):
        response = api.post("/api/v1/transactions/", body, format="json", **auth(key))
        assert response.status_code == 400, body
    assert Transaction.objects.count() == 0


def test_times_and_money_go_out_as_the_contract_says(api, key, joined):
    post(api, key, tx("a", amount="1234.5", occurred_at="2026-01-15T02:00:00Z"))

    row = api.get("/api/v1/transactions/", **auth(key)).json()["results"][0]

    assert row["amount"] == "1234.50"
    assert row["occurred_at"] == "2026-01-15T10:00:00+08:00"
