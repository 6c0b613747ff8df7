"""Scenario pages: browse (own industry first), detail with products, terms, rewards and the
data purpose, ask to join, participation status, the offer engine try-out."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scenarios.models import OfferQuoteDaily, OfferRecord, Participation
from scenarios.services import offer_log_flush, offer_quote_counts_flush
from tests.factories import IndustryFactory
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ParticipationFactory, ScenarioFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def travel_bundle(acme):
    scenario = ScenarioFactory(code="travel-finance", name="Travel finance", industry=acme.industry)
    BundleItemFactory(scenario=scenario, product=ProductFactory(code="trip-installment"), reward_kind="")
    return scenario


@pytest.fixture
def mall_bundle(db):
    scenario = ScenarioFactory(
        code="mall-finance", name="Mall finance", industry=IndustryFactory(code="retail")
    )
    BundleItemFactory(scenario=scenario, product=ProductFactory(code="mall-installment"))
    return scenario


def test_partners_see_scenarios_of_their_own_industry_first(client, alice, mall_bundle, travel_bundle):
    client.force_login(alice)

    page = client.get(reverse("portal:scenarios")).content.decode()

    assert page.index("Travel finance") < page.index("Mall finance")


def test_the_detail_shows_products_terms_and_the_data_purpose(client, alice, travel_bundle):
    client.force_login(alice)

    page = client.get(reverse("portal:scenario", args=["travel-finance"])).content.decode()

    assert "trip-installment" in page
    assert "To price the installment offer." in page
    assert "Ask to join" in page


def test_the_owner_asks_to_join_and_sees_the_request(client, alice, acme, travel_bundle):
    client.force_login(alice)

    response = client.post(
        reverse("portal:scenario", args=["travel-finance"]), {"channel": "app", "note": "Q3"}
    )

    assert response.status_code == 302
    participation = Participation.objects.get(partner=acme)
    assert participation.status == "requested"
    assert participation.requested_by == alice
    assert "Requested" in client.get(reverse("portal:scenarios")).content.decode()


@pytest.mark.parametrize("persona", ["fiona", "victor"])
def test_finance_and_viewers_cannot_ask_to_join(client, request, travel_bundle, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("portal:scenario", args=["travel-finance"]), {"channel": "app"})

    assert response.status_code == 403
    assert not Participation.objects.exists()


def test_a_scenario_reserved_for_another_partner_is_a_404(client, alice, other):
    ScenarioFactory(code="vip-only", reserved_for=other)
    client.force_login(alice)

    assert client.get(reverse("portal:scenario", args=["vip-only"])).status_code == 404


def test_a_participant_tries_the_offer_engine_and_gets_a_schedule(client, bob, acme, travel_bundle):
    ParticipationFactory(partner=acme, scenario=travel_bundle)
    client.force_login(bob)

    response = client.get(
        reverse("portal:scenario-offers", args=["travel-finance"]),
        {"event": "booking.created", "amount": "1200.00", "tenor_months": "3"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    # The product by name and its category by label, never their codes.
    assert "<h3>Trip Installment · Installment</h3>" in page
    assert "trip-installment" not in page
    assert page.count("<tr><td>") == 3  # three monthly rows
    # A try-out: recorded as one, never counted as a real offer.
    offer_quote_counts_flush()
    offer_log_flush()
    assert not OfferQuoteDaily.objects.exists()
    assert list(OfferRecord.objects.values_list("partner_id", "channel", "tryout")) == [
        (acme.pk, "portal", True)
    ]


def test_an_ineligible_request_is_explained_on_its_field(client, bob, acme, travel_bundle):
    ParticipationFactory(partner=acme, scenario=travel_bundle)
    client.force_login(bob)

    response = client.get(
        reverse("portal:scenario-offers", args=["travel-finance"]),
        {"event": "booking.created", "amount": "1200.00", "tenor_months": "7"},
    )

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()


def test_the_offer_engine_needs_an_active_participation(client, alice, travel_bundle):
    client.force_login(alice)

    assert client.get(reverse("portal:scenario-offers", args=["travel-finance"])).status_code == 404


def test_getting_started_shows_curl_with_the_partner_s_scenario_codes(client, bob, acme, travel_bundle):
    ParticipationFactory(partner=acme, scenario=travel_bundle)
    client.force_login(bob)

    page = client.get(reverse("portal:getting-started")).content.decode()

    assert "/api/v1/me/" in page
    assert '"scenario": "travel-finance"' in page


@pytest.mark.parametrize("size", [1, 4])
def test_the_scenario_list_costs_the_same_queries_whatever_the_catalog(
    client, alice, acme, django_assert_num_queries, size
):
    for n in range(size):
        joined = ScenarioFactory(code=f"joined-{n}", industry=acme.industry)
        BundleItemFactory(scenario=joined)
        ParticipationFactory(partner=acme, scenario=joined)
        BundleItemFactory(scenario=ScenarioFactory(code=f"open-{n}", industry=acme.industry))
    client.force_login(alice)

    # session, user, memberships, joinable scenarios and their items, participations (with the
    # newer version of each), invitations, the bell
    with django_assert_num_queries(8):
        response = client.get(reverse("portal:scenarios"))
    assert response.content.decode().count("joined-") >= size


def test_a_reward_is_named_in_words_on_the_offers(client, bob, acme):
    scenario = ScenarioFactory(code="uplift-finance", name="Uplift", industry=acme.industry)
    BundleItemFactory(
        scenario=scenario,
        product=ProductFactory(code="trip-installment"),
        reward_kind="cashback",
        reward_rate=None,
        reward_amount="80.00",
        reward_cap=None,
    )
    ParticipationFactory(partner=acme, scenario=scenario)
    client.force_login(bob)

    page = client.get(
        reverse("portal:scenario-offers", args=["uplift-finance"]),
        {"event": "booking.created", "amount": "1200.00", "tenor_months": "3"},
    ).content.decode()

    assert '<dd>Cashback: <span class="money">80.00\N{NO-BREAK SPACE}CNY</span>' in page
    assert "cashback 80.00" not in page
