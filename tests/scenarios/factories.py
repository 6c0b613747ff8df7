"""Scenario factories. Rows are built directly (a published version with items); tests of the
lifecycle itself go through the services."""

from __future__ import annotations

import factory

from tests.factories import IndustryFactory, PartnerFactory
from tests.products.factories import ProductFactory


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scenarios.Scenario"

    code = factory.Sequence(lambda n: f"scenario-{n}")
    version = 1
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    industry = factory.SubFactory(IndustryFactory, code="travel")
    trigger_events = factory.LazyFunction(lambda: ["booking.created"])
    data_shared = "Order amount and the customer's segment."
    data_purpose = "To price the installment offer."
    status = "published"


class BundleItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scenarios.BundleItem"

    scenario = factory.SubFactory(ScenarioFactory)
    product = factory.SubFactory(ProductFactory)
    position = factory.Sequence(lambda n: n + 1)
    role = "primary"


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scenarios.Participation"

    partner = factory.SubFactory(PartnerFactory)
    scenario = factory.SubFactory(ScenarioFactory)
    scenario_code = factory.LazyAttribute(lambda o: o.scenario.code)
    status = "active"
