"""What a newer version changes, as the partner reads it before moving: products added and
removed, price changes (the bundle's rate adjustment and fee waiver as percentages, the rate
in the bundle within the product's bounds), reward changes, trigger events and data use."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from scenarios.models import Campaign
from scenarios.selectors import scenario_versions_to_compare
from scenarios.versions import version_diff
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ParticipationFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def products():
    return {
        "loan": ProductFactory(code="trip-installment"),  # 12 % within 8–18 %
        "cover": ProductFactory(code="trip-cover", category="insurance"),
        "pay": ProductFactory(code="trip-pay", category="payment"),
    }


def versions(partner, products, *, old_items, new_items, **new_fields):
    """v1 (the partner's) and v2 with the given items: ``{product key: item fields}``."""
    v1 = ScenarioFactory(code="travel-finance", version=1)
    v2 = ScenarioFactory(code="travel-finance", version=2, **new_fields)
    for scenario, items in ((v1, old_items), (v2, new_items)):
        for position, (key, fields) in enumerate(items.items(), start=1):
            BundleItemFactory(scenario=scenario, product=products[key], position=position, **fields)
    ParticipationFactory(partner=partner, scenario=v1)
    loaded = scenario_versions_to_compare(partner=partner, code="travel-finance")
    return version_diff(loaded.current, loaded.newer)


def test_products_added_and_removed_are_listed_with_their_terms(partner, products):
    diff = versions(
        partner,
        products,
        old_items={"loan": {}, "cover": {}},
        new_items={"loan": {}, "pay": {"fee_waiver": D("0.5")}},
    )

    assert [i.product_code for i in diff.added] == ["trip-pay"]
    assert [i.product_code for i in diff.removed] == ["trip-cover"]
    assert [i.product_code for i in diff.same] == ["trip-installment"]
    assert diff.changed == []
    added = dict(diff.added[0].after)
    assert added["Fee waived"] == f"50.00{NBSP}%"
    assert diff.added[0].before is None
    assert diff.removed[0].after is None
    assert diff.has_changes


def test_a_rate_adjustment_shows_both_percentages_and_the_rate_within_the_products_bounds(partner, products):
    diff = versions(
        partner,
        products,
        old_items={"loan": {"rate_adjustment": D("-0.010000")}},
        # 12 % - 5 % would be 7 %: the product's floor (8 %) holds it.
        new_items={"loan": {"rate_adjustment": D("-0.050000")}},
    )

    changes = {c.field: (c.before, c.after) for c in diff.changed[0].changes}
    assert changes == {
        "rate_adjustment": (f"-1.00{NBSP}%", f"-5.00{NBSP}%"),
        "rate": (f"11.00{NBSP}%", f"8.00{NBSP}%"),
    }


def test_a_change_below_two_decimals_of_a_percent_is_shown_exactly(partner, products):
    diff = versions(
        partner,
        products,
        old_items={"loan": {"rate_adjustment": D("0.000010")}},
        new_items={"loan": {"rate_adjustment": D("0.000020")}},
    )

    changes = {c.field: (c.before, c.after) for c in diff.changed[0].changes}
    assert changes["rate_adjustment"] == (f"0.0010{NBSP}%", f"0.0020{NBSP}%")


def test_reward_changes_name_kind_rate_amount_cap_and_campaign(partner, products):
    now = timezone.now()
    campaign = Campaign.objects.create(
        code="summer",
        name="Summer trips",
        starts_at=now,
        ends_at=now + timedelta(days=30),
        budget=D("10000.00"),
    )
    diff = versions(
        partner,
        products,
        old_items={"loan": {"reward_kind": "points", "reward_rate": D("1"), "reward_cap": D("500")}},
        new_items={
            "loan": {
                "reward_kind": "cashback",
                "reward_rate": D("0.01"),
                "reward_amount": D("80.00"),
                "reward_cap": D("100.00"),
                "campaign": campaign,
            }
        },
    )

    changes = {c.field: (c.before, c.after) for c in diff.changed[0].changes}
    assert changes == {
        "reward_kind": ("Points", "Cashback"),
        "reward_rate": ("1 points per yuan", f"1.00{NBSP}%"),
        "reward_amount": ("—", f"80.00{NBSP}CNY"),
        "reward_cap": ("500 points", f"100.00{NBSP}CNY"),
        "campaign": ("—", "Summer trips"),
    }


def test_trigger_events_and_data_use_changes_are_listed(partner, products):
    diff = versions(
        partner,
        products,
        old_items={"loan": {}},
        new_items={"loan": {}},
        trigger_events=["booking.paid", "order.paid"],
        data_purpose="To price the installment offer and check fraud.",
    )

    assert (diff.events_added, diff.events_removed) == (("booking.paid", "order.paid"), ("booking.created",))
    assert [(c.field, c.before, c.after) for c in diff.scenario_changes] == [
        ("data_purpose", "To price the installment offer.", "To price the installment offer and check fraud.")
    ]


def test_the_same_terms_make_no_changes(partner, products):
    diff = versions(
        partner, products, old_items={"loan": {}, "cover": {}}, new_items={"loan": {}, "cover": {}}
    )

    assert not diff.has_changes
    assert len(diff.same) == 2


def test_a_partner_on_the_latest_version_has_nothing_to_compare(partner, products):
    v1 = ScenarioFactory(code="travel-finance", version=1)
    ParticipationFactory(partner=partner, scenario=v1)
    ScenarioFactory(code="travel-finance", version=2, status="draft")

    assert scenario_versions_to_compare(partner=partner, code="travel-finance") is None


def test_loading_both_versions_costs_three_queries(partner, products, django_assert_num_queries):
    v1 = ScenarioFactory(code="travel-finance", version=1)
    v2 = ScenarioFactory(code="travel-finance", version=2)
    for scenario in (v1, v2):
        for position, product in enumerate(products.values(), start=1):
            BundleItemFactory(scenario=scenario, product=product, position=position)
    ParticipationFactory(partner=partner, scenario=v1)

    # participation, the newer version, both versions with their items (2)
    with django_assert_num_queries(4):
        loaded = scenario_versions_to_compare(partner=partner, code="travel-finance")
        diff = version_diff(loaded.current, loaded.newer)
    assert len(diff.same) == 3
