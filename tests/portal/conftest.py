"""Fixtures of the portal page tests. Personas: alice owns Acme Travel, bob is her developer,
fiona her finance member, victor a viewer; charlie owns another partner."""

from __future__ import annotations

import pytest

from portal import roles
from tests.factories import MembershipFactory, PartnerFactory, StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def manager(staff_roles):
    from django.contrib.auth.models import Group

    user = StaffFactory(email="manager@bank.test")
    user.groups.add(Group.objects.get(name=roles.PARTNER_MANAGERS))
    return user


@pytest.fixture
def acme(db):
    return PartnerFactory(
        slug="acme-travel", display_name="Acme Travel", contact_name="Ann", contact_email="ops@acme.test"
    )


def member(partner, email: str, role: str):
    return MembershipFactory(partner=partner, user=UserFactory(email=email), role=role).user


@pytest.fixture
def alice(acme):
    return member(acme, "alice@acme.test", "owner")


@pytest.fixture
def bob(acme):
    return member(acme, "bob@acme.test", "developer")


@pytest.fixture
def fiona(acme):
    return member(acme, "fiona@acme.test", "finance")


@pytest.fixture
def victor(acme):
    return member(acme, "victor@acme.test", "viewer")


@pytest.fixture
def other(db):
    return PartnerFactory(slug="other-mall", display_name="Other Mall")


@pytest.fixture
def charlie(other):
    return member(other, "charlie@other.test", "owner")


@pytest.fixture
def documented(acme):
    """Acme with its required documents verified (keys can be issued)."""
    from tests.api.factories import verified_documents

    verified_documents(acme)
    return acme
