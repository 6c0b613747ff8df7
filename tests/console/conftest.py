"""Console fixtures: staff users log in with ``force_login`` (the console is staff-only)."""

from __future__ import annotations

import pytest

from portal import roles
from tests.factories import MembershipFactory, StaffFactory, UserFactory


@pytest.fixture
def staff(db, staff_roles):
    """A partner manager: may review partners and decide participation requests."""
    user = StaffFactory(email="sam@bank.example")
    user.groups.add(staff_roles[roles.PARTNER_MANAGERS])
    return user


@pytest.fixture
def other_staff(db, staff_roles):
    user = StaffFactory(email="olga@bank.example")
    user.groups.add(staff_roles[roles.PARTNER_MANAGERS])
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def alice(db):
    """A partner owner: no staff rights."""
    return MembershipFactory(user=UserFactory(email="alice@skyway.example"), role="owner").user
