"""After a partner leaves a scenario: its keys keep working, ``POST offers/`` answers 404
naming the scenario and saying it was left, and ``POST transactions/`` takes sales that
occurred before it left (reported late) and refunds, but refuses sales after it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from scenarios import services
from scenarios.models import Participation
from tests.factories import MembershipFactory, UserFactory
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ParticipationFactory, ScenarioFactory

from .factories import auth

pytestmark = pytest.mark.django_db


@pytest.fixture
def travel(acme):
    scenario = ScenarioFactory(code="travel-finance", name="Travel Finance")
    BundleItemFactory(scenario=scenario, product=ProductFactory(code="trip-installment"), position=1)
    ParticipationFactory(partner=acme, scenario=scenario)
    return scenario


@pytest.fixture
def left(acme, travel):
    alice = MembershipFactory(partner=acme, role="owner", user=UserFactory(email="alice@acme.test")).user
    participation = Participation.objects.get(partner=acme, scenario=travel)
    return services.participation_leave(participation=participation, actor=alice, reason="journey closed")


def offers(api, key, code="travel-finance"):
    body = {"scenario": code, "event": "booking.created", "amount": "1000.00"}
    return api.post("/api/v1/offers/", body, format="json", **auth(key.key))


def sale(api, key, external_id: str, occurred_at, **more):
    item = {
        "external_id": external_id,
        "scenario": "travel-finance",
        "product": "trip-installment",
        "kind": "sale",
        "amount": "100.00",
        "occurred_at": occurred_at.isoformat(),
        **more,
    }
    return api.post("/api/v1/transactions/", {"transactions": [item]}, format="json", **auth(key.key))


def test_offers_for_a_left_scenario_are_a_404_naming_it(api, acme_key, travel, left):
    response = offers(api, acme_key)

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert list(error["fields"]) == ["scenario"]
    day = timezone.localdate(left.ended_at).isoformat()
    assert error["message"] == (
        f"You no longer take part in the scenario “travel-finance” (since {day}): it answers no offers."
    )


def test_before_leaving_the_same_request_is_answered(api, acme_key, travel):
    assert offers(api, acme_key).status_code == 200


def test_the_key_keeps_working_after_leaving(api, acme_key, travel, left):
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert api.get("/api/v1/scenarios/", **auth(acme_key.key)).json()["count"] == 0


def test_a_sale_before_leaving_is_still_taken_and_one_after_is_refused(api, acme_key, travel, left):
    before = sale(api, acme_key, "late-1", left.ended_at - timedelta(hours=2))
    after = sale(api, acme_key, "after-1", left.ended_at + timedelta(seconds=1))

    assert before.status_code == 201, before.json()
    assert before.json()["created"] == 1
    assert after.status_code == 400
    error = after.json()["error"]
    assert list(error["fields"]) == ["transactions.0.occurred_at"]
    assert "You left the scenario “travel-finance”" in error["message"]


def test_a_refund_of_an_earlier_sale_is_taken_after_leaving(api, acme_key, travel):
    assert sale(api, acme_key, "s-1", timezone.now() - timedelta(hours=3)).status_code == 201
    alice = MembershipFactory(partner=travel.participations.get().partner, role="owner").user
    left = services.participation_leave(participation=travel.participations.get(), actor=alice, reason="x")

    refund = sale(api, acme_key, "r-1", left.ended_at + timedelta(seconds=1), kind="refund", refund_of="s-1")

    assert refund.status_code == 201, refund.json()


def test_a_partner_that_moved_is_not_treated_as_left(api, acme, acme_key, travel):
    v2 = ScenarioFactory(code="travel-finance", version=2, name="Travel Finance")
    BundleItemFactory(scenario=v2, product=ProductFactory(code="trip-installment-2"), position=1)
    services.participation_move(participation=Participation.objects.get(partner=acme), to=v2)

    assert offers(api, acme_key).status_code == 200
    item = {"product": "trip-installment-2"}
    assert sale(api, acme_key, "v2-1", timezone.now() - timedelta(minutes=1), **item).status_code == 201
