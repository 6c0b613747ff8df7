"""The catalog's staff pages: forms name bad terms, actions go through the services."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from products.models import Product, ProductStatusChange, SegmentPrice
from tests.factories import StaffFactory
from tests.products.factories import ProductFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(staff_roles, client):
    user = StaffFactory(email="pm@bank.example")
    user.groups.add(staff_roles["Product managers"])
    client.force_login(user)
    return user


def _form(**overrides) -> dict:
    data = {
        "code": "trip-installment",
        "name": "Trip installments",
        "category": "installment",
        "currency": "CNY",
        "rate": "12",
        "rate_floor": "8.00",
        "rate_ceiling": "18",
        "min_amount": "500.00",
        "max_amount": "50000.00",
        "tenor_months": "3, 6, 12",
        "repayment_method": "equal_installment",
        "segment_prices-TOTAL_FORMS": "0",
        "segment_prices-INITIAL_FORMS": "0",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_staff_add_a_draft_product_with_a_segment_price(client, manager):
    SegmentFactory(code="vip")
    data = _form(
        **{
            "segment_prices-TOTAL_FORMS": "1",
            "segment_prices-0-segment": str(SegmentFactory(code="vip").pk),
            "segment_prices-0-rate_adjustment": "-2",
        }
    )

    response = client.post(reverse("admin:products_product_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get(code="trip-installment")
    assert product.status == "draft"
    assert product.tenor_months == [3, 6, 12]
    assert SegmentPrice.objects.get(product=product).rate_adjustment == D("-0.020000")


def test_the_form_names_every_bad_term_before_saving(client, manager):
    response = client.post(
        reverse("admin:products_product_add"),
        _form(rate_floor="30", tenor_months="", repayment_method="bullet"),
    )

    errors = response.context["adminform"].form.errors
    assert set(errors) >= {"rate_floor", "tenor_months", "repayment_method"}
    assert not Product.objects.exists()


def test_a_segment_price_outside_the_bounds_is_shown_on_the_inline(client, manager):
    data = _form(
        **{
            "segment_prices-TOTAL_FORMS": "1",
            "segment_prices-0-segment": str(SegmentFactory(code="vip").pk),
            "segment_prices-0-rate_adjustment": "-10",
        }
    )

    response = client.post(reverse("admin:products_product_add"), data)

    assert response.status_code == 200
    assert "would leave the product" in response.content.decode()
    assert not Product.objects.exists()


def test_the_activate_action_goes_through_the_service(client, manager):
    good = ProductFactory(status="draft")
    bad = ProductFactory(status="draft", tenor_months=[])

    response = client.post(
        reverse("admin:products_product_changelist"),
        {"action": "activate", "_selected_action": [good.pk, bad.pk]},
        follow=True,
    )

    assert Product.objects.get(pk=good.pk).status == "active"
    assert Product.objects.get(pk=bad.pk).status == "draft"
    assert ProductStatusChange.objects.filter(product=good, changed_by=manager).exists()
    assert "1 product activated." in response.content.decode()


def test_auditors_see_products_but_cannot_change_them(client, staff_roles):
    auditor = StaffFactory(email="auditor@bank.example")
    auditor.groups.add(staff_roles["Auditors"])
    client.force_login(auditor)
    product = ProductFactory()

    assert client.get(reverse("admin:products_product_changelist")).status_code == 200
    assert (
        client.post(reverse("admin:products_product_change", args=[product.pk]), _form()).status_code == 403
    )


def test_a_retired_product_is_read_only(client, manager):
    product = ProductFactory(status="retired", name="Old")

    client.post(reverse("admin:products_product_change", args=[product.pk]), _form(name="New"))

    assert Product.objects.get(pk=product.pk).name == "Old"


@pytest.mark.parametrize("size", [3, 30])
def test_the_product_list_costs_the_same_at_any_size(client, manager, django_assert_max_num_queries, size):
    for _ in range(size):
        ProductFactory()
    url = reverse("admin:products_product_changelist")
    client.get(url)  # warm the session and permission caches

    with django_assert_max_num_queries(8):
        response = client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count == size


def test_the_form_refuses_an_interest_free_fee_ceiling_whose_apr_is_above_36_percent(client, manager):
    # 2.5 % a month is 30 % nominally; by IRR it is 51.44 % a year over 12 months.
    data = _form(repayment_method="interest_free", rate="0.6", rate_floor="0.4", rate_ceiling="2.5")

    response = client.post(reverse("admin:products_product_add"), data)

    assert response.status_code == 200
    assert "the annualised rate (APR) reaches 51.44 % over 12 months" in response.content.decode()
    assert not Product.objects.exists()


def test_staff_type_and_read_rates_in_percent_and_the_stored_fractions_stay(client, manager):
    data = _form(
        rate="9.9",
        rate_floor="5.125",
        rate_ceiling="18",
        **{
            "segment_prices-TOTAL_FORMS": "1",
            "segment_prices-0-segment": str(SegmentFactory(code="vip").pk),
            "segment_prices-0-rate_adjustment": "-1.5",
        },
    )

    response = client.post(reverse("admin:products_product_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get(code="trip-installment")
    assert (product.rate, product.rate_floor, product.rate_ceiling) == (D("0.099"), D("0.05125"), D("0.18"))
    assert SegmentPrice.objects.get(product=product).rate_adjustment == D("-0.015")
    form = client.get(reverse("admin:products_product_change", args=[product.pk])).context["adminform"].form
    assert [str(form[name].value()) for name in ("rate", "rate_floor", "rate_ceiling")] == [
        "9.90",
        "5.125",
        "18.00",
    ]


def test_a_rate_out_of_bounds_is_refused_naming_the_field_and_the_bound_in_percent(client, manager):
    response = client.post(reverse("admin:products_product_add"), _form(rate="40", rate_ceiling="12.34567"))

    errors = response.context["adminform"].form.errors
    assert errors["rate"] == ["Base rate must be between 0.00\xa0% and 36.00\xa0%."]
    assert errors["rate_ceiling"] == ["Rate ceiling has at most 4 decimal places in percent."]
    page = response.content.decode()
    assert 'value="40"' in page  # what was typed stays as typed
    assert not Product.objects.exists()


def test_a_segment_adjustment_outside_the_bounds_names_them_in_percent(client, manager):
    data = _form(
        **{
            "segment_prices-TOTAL_FORMS": "1",
            "segment_prices-0-segment": str(SegmentFactory(code="vip").pk),
            "segment_prices-0-rate_adjustment": "-10",
        }
    )

    page = client.post(reverse("admin:products_product_add"), data).content.decode()

    assert "The adjusted rate 2.00\xa0% would leave the product&#x27;s bounds 8.00\xa0%–18.00\xa0%." in page
