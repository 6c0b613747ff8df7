"""Scenario fixtures. Personas: alice owns the travel partner (``partner``), charlie another
partner (``other_partner``); ``manager`` is bank staff in the product managers' group."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from scenarios import services
from scenarios.models import DataPurpose
from tests.factories import IndustryFactory, PartnerFactory, StaffFactory
from tests.products.factories import ProductFactory


@pytest.fixture
def manager(staff_roles):
    user = StaffFactory(email="pm@bank.example")
    user.groups.add(staff_roles["Product managers"])
    return user


@pytest.fixture
def partner(db):
    return PartnerFactory(slug="skyway", display_name="Skyway Travel")


@pytest.fixture
def other_partner(db):
    return PartnerFactory(slug="charlie-trips", display_name="Charlie Trips")


@pytest.fixture
def installment(db):
    return ProductFactory(code="trip-installment")  # 0.12 within 0.08–0.18, 100–50,000, 3/6/12


@pytest.fixture
def insurance(db):
    return ProductFactory(code="trip-cover", category="insurance")


def compose(manager, *, code="travel-finance", products=(), **fields):
    """A draft composed through the services: the first product primary, the rest cross-sell."""
    fields.setdefault("trigger_events", ["booking.created", "booking.paid"])
    fields.setdefault("data_shared", "Booking amount, segment and tenor.")
    fields.setdefault("data_purpose", "To price installments and cover for the booking.")
    scenario = services.scenario_create(
        actor=manager,
        code=code,
        name=code.replace("-", " ").title(),
        industry=IndustryFactory(code="travel"),
        **fields,
    )
    for index, product in enumerate(products):
        services.bundle_item_add(
            scenario=scenario, product=product, actor=manager, role="primary" if index == 0 else "cross_sell"
        )
    return scenario


@pytest.fixture
def draft(manager, installment, insurance):
    return compose(manager, products=[installment, insurance])


@pytest.fixture
def published(manager, draft):
    return services.scenario_publish(scenario=draft, actor=manager, reason="launch")


@pytest.fixture
def joined(published, partner, manager):
    """alice's partner actively participates in the published version."""
    participation = services.participation_request(partner=partner, scenario=published)
    return services.participation_approve(participation=participation, actor=manager)


def consent_given(consent_id: str = "cns-1", purposes=None, **kw) -> services.ConsentGiven:
    """A customer's consent as an offer request carries it: every purpose unless told."""
    kw.setdefault("granted_at", datetime(2026, 1, 5, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    return services.ConsentGiven(
        id=consent_id, purposes=list(DataPurpose.values) if purposes is None else purposes, **kw
    )
