"""Revenue fixtures. Personas: alice owns the travel partner (``partner``), charlie another
partner (``other_partner``); ``maker`` is a finance maker, ``checker`` a finance checker."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory, PartnerFactory, UserFactory

from .factories import agreement_in_force, finance_staff, join, scenario_with_products


@pytest.fixture
def maker(staff_roles):
    return finance_staff(staff_roles, "maker@bank.example", "Finance makers")


@pytest.fixture
def checker(staff_roles):
    return finance_staff(staff_roles, "checker@bank.example", "Finance checkers")


@pytest.fixture
def partner(db):
    return PartnerFactory(slug="skyway", display_name="Skyway Travel")


@pytest.fixture
def other_partner(db):
    return PartnerFactory(slug="charlie-trips", display_name="Charlie Trips")


@pytest.fixture
def alice(partner):
    user = UserFactory(email="alice@skyway.example")
    MembershipFactory(user=user, partner=partner, role="owner")
    return user


@pytest.fixture
def charlie(other_partner):
    user = UserFactory(email="charlie@charlie.example")
    MembershipFactory(user=user, partner=other_partner, role="owner")
    return user


@pytest.fixture
def scenario_products(db):
    return scenario_with_products()


@pytest.fixture
def scenario(scenario_products):
    return scenario_products[0]


@pytest.fixture
def products(scenario_products):
    return scenario_products[1]


@pytest.fixture
def joined(partner, scenario):
    return join(partner, scenario)


@pytest.fixture
def agreement(maker, checker, partner, scenario, joined):
    """30 % of the amount, monthly, from 2026-01-01."""
    return agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
