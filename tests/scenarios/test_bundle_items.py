"""Bundle items: overrides within the product's bounds, rewards that make sense, retired
products kept out and flagged."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from products import services as product_services
from scenarios import selectors, services
from scenarios.exceptions import BundleItemInvalid
from scenarios.models import BundleItem
from tests.products.factories import ProductFactory

pytestmark = pytest.mark.django_db


def add(draft, manager, product=None, **values):
    return services.bundle_item_add(
        scenario=draft, product=product or ProductFactory(), actor=manager, **values
    )


def refused(draft, manager, product=None, **values) -> BundleItemInvalid:
    with pytest.raises(BundleItemInvalid) as caught:
        add(draft, manager, product, **values)
    return caught.value


def test_items_are_placed_after_the_last_one(draft, manager):
    item = add(draft, manager)

    assert item.position == 3
    assert item.role == "primary"


def test_a_retired_product_cannot_be_added(draft, manager):
    error = refused(draft, manager, ProductFactory(code="old-loan", status="retired"))

    assert error.field == "product"
    assert "old-loan is retired" in error.message


def test_a_product_is_in_a_bundle_once_and_positions_do_not_repeat(draft, manager, installment):
    assert refused(draft, manager, installment).field == "product"
    assert refused(draft, manager, position=1).field == "position"


def test_a_rate_adjustment_within_the_bounds_is_kept(draft, manager):
    # base 0.12, floor 0.08, ceiling 0.18
    assert add(draft, manager, rate_adjustment=D("-0.040000")).rate_adjustment == D("-0.040000")
    assert add(draft, manager, rate_adjustment=D("0.060000")).rate_adjustment == D("0.060000")


@pytest.mark.parametrize("adjustment", [D("-0.040001"), D("0.060001")])
def test_a_rate_adjustment_beyond_the_bounds_is_refused_naming_them(draft, manager, adjustment):
    error = refused(draft, manager, rate_adjustment=adjustment)

    assert error.field == "rate_adjustment"
    assert "bounds 8.00 %–18.00 %" in error.message  # in percent, the rate with all its places
    assert f"{adjustment * 100 + 12:f}".rstrip("0") + " %" in error.message
    assert draft.items.count() == 2


def test_a_fixed_fee_product_has_no_rate_to_adjust(draft, manager):
    error = refused(draft, manager, ProductFactory(category="data_service"), rate_adjustment=D("0.01"))

    assert (error.field, error.message) == ("rate_adjustment", "This product has no rate to adjust.")


def test_only_a_product_that_charges_a_fee_can_waive_it(draft, manager):
    promo = ProductFactory(
        repayment_method="interest_free", rate=D("0.006"), rate_floor=D("0.004"), rate_ceiling=D("0.008")
    )

    assert add(draft, manager, promo, fee_waiver=D("1")).fee_waiver == D("1")
    assert refused(draft, manager, fee_waiver=D("0.5")).field == "fee_waiver"  # equal installment: interest
    assert (
        refused(draft, manager, ProductFactory(category="payment"), fee_waiver=D("1.5")).field == "fee_waiver"
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"reward_kind": "cashback"}, "reward_rate"),
        ({"reward_kind": "cashback", "reward_rate": D("0.01"), "reward_amount": D("5")}, "reward_rate"),
        ({"reward_kind": "cashback", "reward_amount": D("5"), "reward_cap": D("10")}, "reward_cap"),
        ({"reward_kind": "cashback", "reward_rate": D("1.5")}, "reward_rate"),
        ({"reward_kind": "points"}, "reward_rate"),
        ({"reward_kind": "points", "reward_rate": D("1"), "reward_amount": D("5")}, "reward_amount"),
        ({"reward_kind": "coupon"}, "reward_amount"),
        ({"reward_kind": "coupon", "reward_amount": D("20"), "reward_rate": D("0.1")}, "reward_rate"),
        ({"reward_kind": "", "reward_amount": D("20")}, "reward_amount"),
        ({"reward_kind": "cashback", "reward_amount": D("-1")}, "reward_amount"),
    ],
)
def test_rewards_that_do_not_make_sense_are_refused(draft, manager, values, field):
    assert refused(draft, manager, **values).field == field


def test_each_reward_kind_is_kept_when_complete(draft, manager):
    cashback = add(draft, manager, reward_kind="cashback", reward_rate=D("0.01"), reward_cap=D("50"))
    points = add(draft, manager, reward_kind="points", reward_rate=D("2"))
    coupon = add(draft, manager, reward_kind="coupon", reward_amount=D("20"), reward_description="Lounge")

    assert BundleItem.objects.filter(pk__in=[cashback.pk, points.pk, coupon.pk]).count() == 3


def test_retiring_a_product_flags_the_bundles_that_use_it(published, manager, insurance):
    product_services.product_retire(product=insurance, actor=manager, reason="withdrawn")

    assert selectors.scenario_warnings(published) == [
        "trip-cover is retired: it is no longer offered in this scenario."
    ]
    assert list(selectors.scenarios_with_retired_products()) == [published]


def test_items_of_a_draft_can_swap_positions_in_one_save(draft, manager):
    first, second = draft.items.order_by("position")
    first.position, second.position = 2, 1

    services.bundle_items_save(scenario=draft, items=[first, second], actor=manager)

    assert list(draft.items.order_by("position").values_list("product__code", flat=True)) == [
        "trip-cover",
        "trip-installment",
    ]
