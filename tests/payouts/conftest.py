"""Payouts fixtures: ``maker`` built the batches, ``checker`` released them; ``clerk`` imports
bank statements (finance maker) and ``decider`` decides what did not match (finance checker).
``acme`` (alice owns it, fiona is its finance member) and ``other`` (charlie) are partners."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory, PartnerFactory, UserFactory

from ..revenue.factories import finance_staff
from .factories import released_batch


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def maker(staff_roles):
    return finance_staff(staff_roles, "maker@bank.example", "Finance makers")


@pytest.fixture
def checker(staff_roles):
    return finance_staff(staff_roles, "checker@bank.example", "Finance checkers")


@pytest.fixture
def clerk(staff_roles):
    return finance_staff(staff_roles, "clerk@bank.example", "Finance makers")


@pytest.fixture
def decider(staff_roles):
    return finance_staff(staff_roles, "decider@bank.example", "Finance checkers")


def member(partner, email: str, role: str):
    return MembershipFactory(partner=partner, user=UserFactory(email=email), role=role).user


@pytest.fixture
def acme(db):
    return PartnerFactory(slug="acme", display_name="Acme Travel")


@pytest.fixture
def other(db):
    return PartnerFactory(slug="other", display_name="Other Mall")


@pytest.fixture
def alice(acme):
    return member(acme, "alice@acme.test", "owner")


@pytest.fixture
def fiona(acme):
    return member(acme, "fiona@acme.test", "finance")


@pytest.fixture
def charlie(other):
    return member(other, "charlie@other.test", "owner")


@pytest.fixture
def batch(maker, checker, acme, other):
    """acme: 1,000.00 + 250.50 − 200.00 claw-back = 1,050.50; other: 300.00."""
    return released_batch(
        maker=maker, releaser=checker, payouts={acme: ["1000.00", "250.50", "-200.00"], other: ["300.00"]}
    )
