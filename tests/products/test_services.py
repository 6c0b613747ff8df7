"""Catalog services: products validated on every write, status moves recorded, segment prices."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from core.domain import InvalidTransition, NotAllowed
from products import services
from products.exceptions import ProductError, ProductRetired, ProductTermsInvalid
from products.models import Product, ProductStatusChange, SegmentPrice
from tests.factories import StaffFactory, UserFactory
from tests.products.factories import ProductFactory, SegmentFactory, terms_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(staff_roles):
    user = StaffFactory(email="pm@bank.example")
    user.groups.add(staff_roles["Product managers"])
    return user


def _create(actor, code="travel-installment", category="installment", **overrides):
    return services.product_create(actor=actor, code=code, name="Travel installments", category=category,
                                   **terms_for(category, **overrides))  # fmt: skip


def test_a_new_product_is_a_draft_with_normalised_terms(manager):
    product = _create(manager, tenor_months="12, 3,6", currency="cny")

    assert product.status == Product.Status.DRAFT
    assert product.tenor_months == [3, 6, 12]
    assert product.currency == "CNY"
    assert product.history.first().history_user == manager


def test_invalid_terms_are_refused_naming_the_term_and_nothing_is_saved(manager):
    with pytest.raises(ProductTermsInvalid) as caught:
        _create(manager, rate_floor=D("0.300000"))

    assert caught.value.field == "rate_floor"
    assert "rate_floor" in caught.value.errors
    assert not Product.objects.exists()


def test_a_product_code_is_unique(manager):
    _create(manager)

    with pytest.raises(ProductError) as caught:
        _create(manager)

    assert caught.value.field == "code"


def test_activating_records_who_when_and_why(manager):
    product = _create(manager)

    services.product_activate(product=product, actor=manager, reason="approved by the product committee")

    product.refresh_from_db()
    change = ProductStatusChange.objects.get(product=product)
    assert product.status == Product.Status.ACTIVE
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "draft", "active", manager, "approved by the product committee",
    )  # fmt: skip
    assert change.changed_at is not None


def test_a_product_with_invalid_stored_terms_cannot_be_activated(manager):
    product = ProductFactory(status="draft", tenor_months=[])

    with pytest.raises(ProductTermsInvalid) as caught:
        services.product_activate(product=product, actor=manager)

    assert caught.value.field == "tenor_months"
    assert Product.objects.get(pk=product.pk).status == "draft"


@pytest.mark.parametrize(("start", "to"), [("active", "draft"), ("retired", "active"), ("retired", "draft")])
def test_moves_outside_the_map_are_refused(manager, start, to):
    product = ProductFactory(status=start)

    with pytest.raises(InvalidTransition):
        services.product_status_change(product=product, to=to, actor=manager)

    assert not ProductStatusChange.objects.exists()


def test_a_retired_product_cannot_change(manager):
    product = ProductFactory(status="retired")

    with pytest.raises(ProductRetired):
        services.product_update(product=product, actor=manager, name="New name")


def test_an_active_product_keeps_its_category_but_a_draft_may_change_it(manager):
    active = ProductFactory(status="active", category="installment")
    draft = ProductFactory(status="draft", category="installment")

    with pytest.raises(ProductError) as caught:
        services.product_update(product=active, actor=manager, category="consumer_credit")
    services.product_update(
        product=draft, actor=manager, **{"category": "consumer_credit", **terms_for("consumer_credit")}
    )

    assert caught.value.field == "category"
    assert Product.objects.get(pk=draft.pk).category == "consumer_credit"


def test_updating_terms_validates_them(manager):
    product = ProductFactory()

    with pytest.raises(ProductTermsInvalid) as caught:
        services.product_update(product=product, actor=manager, max_amount=D("10.00"))

    assert caught.value.field == "min_amount"
    assert Product.objects.get(pk=product.pk).max_amount == D("50000.00")


def test_staff_without_the_permission_cannot_change_the_catalog(staff_roles):
    outsider = UserFactory(is_staff=True)
    product = ProductFactory(status="draft")

    with pytest.raises(NotAllowed):
        _create(outsider)
    with pytest.raises(NotAllowed):
        services.product_activate(product=product, actor=outsider)


def test_the_database_refuses_a_floor_above_the_ceiling():
    product = ProductFactory()
    product.rate_floor, product.rate_ceiling = D("0.200000"), D("0.100000")

    with pytest.raises(IntegrityError), transaction.atomic():
        product.save()


def test_segment_prices_adjust_within_the_products_bounds(manager):
    product = ProductFactory()  # 0.12 within 0.08–0.18
    vip = SegmentFactory(code="vip")

    price = services.segment_price_set(
        product=product, segment=vip, rate_adjustment=D("-0.020000"), actor=manager
    )
    services.segment_price_set(product=product, segment=vip, rate_adjustment=D("-0.030000"), actor=manager)

    assert SegmentPrice.objects.get(pk=price.pk).rate_adjustment == D("-0.030000")
    # The admin shows the price in percent, never the stored fraction.
    assert str(SegmentPrice.objects.get(pk=price.pk)).endswith(": -3.00\N{NO-BREAK SPACE}%")
    with pytest.raises(ProductError) as caught:
        services.segment_price_set(
            product=product, segment=vip, rate_adjustment=D("-0.050000"), actor=manager
        )
    assert caught.value.field == "rate_adjustment"
    assert "8.00\xa0%–18.00\xa0%" in caught.value.message

    services.segment_price_remove(product=product, segment=vip, actor=manager)
    assert not SegmentPrice.objects.exists()


def test_a_fixed_fee_product_takes_no_segment_price(manager):
    product = ProductFactory(category="data_service")

    with pytest.raises(ProductError, match="no rate to adjust"):
        services.segment_price_set(
            product=product, segment=SegmentFactory(code="vip"), rate_adjustment=D("0.01"), actor=manager
        )


def test_the_default_segments_are_ensured_once():
    first = services.segment_ensure(code="vip", name="VIP")
    again = services.segment_ensure(code="vip", name="Changed")

    assert first.pk == again.pk
    assert again.name == "VIP"
