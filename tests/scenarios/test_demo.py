"""The seed's catalog and scenarios: published, the demo partners in them, idempotent."""

from __future__ import annotations

from decimal import Decimal as D
from io import StringIO
from itertools import product as product_of

import pytest
from django.core.management import call_command

from products.models import Product
from products.terms import CREDIT, apr_ceiling
from scenarios import demo, selectors
from scenarios.models import Participation, Scenario
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_publishes_the_four_seed_scenarios_with_their_products(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())

    scenarios = {s.code: s for s in Scenario.objects.prefetch_related("items__product")}
    assert set(scenarios) == {
        "travel-finance",
        "community-finance",
        "ecommerce-supply-chain",
        "maternal-infant-finance",
    }
    assert {s.status for s in scenarios.values()} == {"published"}
    assert [i.product.code for i in scenarios["travel-finance"].items.order_by("position")] == [
        "travel-installment", "credit-limit-uplift", "travel-insurance", "flight-delay-cover",
    ]  # fmt: skip
    assert {i.product.category for i in scenarios["ecommerce-supply-chain"].items.all()} == {
        "supply_chain_finance", "payment",
    }  # fmt: skip
    assert not Product.objects.exclude(status="active").exists()


def test_seed_demo_puts_the_demo_partners_in_their_scenarios(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())

    joined = set(Participation.objects.filter(status="active").values_list("partner__slug", "scenario_code"))
    assert joined == {("skyway-travel", "travel-finance"), ("greenleaf-community", "community-finance")}


def test_the_scenario_step_works_without_the_demo_partners():
    out = StringIO()

    demo.seed(password="x", stdout=out)
    demo.seed(password="x", stdout=out)

    assert Scenario.objects.filter(status="published").count() == 4
    assert not Participation.objects.exists()
    assert "demo partners participating: 0" in out.getvalue()


def test_an_inactive_demo_partner_is_left_out():
    PartnerFactory(slug="skyway-travel", status="suspended")
    greenleaf = PartnerFactory(slug="greenleaf-community", industry__code="community")

    demo.seed(password="x", stdout=StringIO())

    assert [s.code for s in selectors.scenario_list_for_partner(partner=greenleaf)] == ["community-finance"]
    assert not Participation.objects.filter(partner__slug="skyway-travel").exists()


def test_every_demo_credit_product_is_offered_at_every_tenor_with_its_apr_within_the_ceiling():
    demo.seed(password="x", stdout=StringIO())
    quoted = 0

    for scenario in Scenario.objects.prefetch_related("items__product"):
        for item in scenario.items.all():
            product = item.product
            if product.category not in CREDIT:
                continue
            ceiling = apr_ceiling(product.category, product.repayment_method, product.rate_ceiling)
            tenors = product.tenor_months or [None]
            smallest = max(product.min_amount, D(tenors[-1] or 1))  # repayable over every tenor
            amounts = {smallest, min(product.max_amount, max(smallest, D("8000.00")))}
            for tenor, amount in product_of(tenors, sorted(amounts)):
                offers = selectors.offer_preview(
                    scenario=scenario, event=scenario.trigger_events[0], amount=amount, tenor_months=tenor
                )
                (offer,) = [o for o in offers if o.product == product.code]
                assert offer.price.apr is not None
                assert offer.price.apr <= ceiling, (product.code, amount, tenor)
                quoted += 1

    assert quoted >= 30
