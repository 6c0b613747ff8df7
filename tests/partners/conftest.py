"""Fixtures of the partners tests: staff in each role, and the personas alice (owner of
Acme Travel), bob (her teammate) and charlie (owner of another partner)."""

from __future__ import annotations

import pytest

from portal import roles
from tests.factories import MembershipFactory, PartnerFactory, StaffFactory, UserFactory

from .factories import make_reviewable


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english():
    # A page rendered in Chinese leaves its language active in the thread; messages that
    # tests compare are English unless a test asks for Chinese.
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


def _staff_in(group: str, email: str):
    from django.contrib.auth.models import Group

    user = StaffFactory(email=email)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def manager(staff_roles):
    return _staff_in(roles.PARTNER_MANAGERS, "manager@bank.test")


@pytest.fixture
def auditor(staff_roles):
    return _staff_in(roles.AUDITORS, "auditor@bank.test")


@pytest.fixture
def staff_by_group(staff_roles):
    """One staff user per staff group."""
    from django.utils.text import slugify

    return {group: _staff_in(group, f"{slugify(group)}@bank.test") for group in roles.GROUP_PERMISSIONS}


@pytest.fixture
def acme(db):
    return PartnerFactory(
        slug="acme-travel", display_name="Acme Travel", contact_name="Ann", contact_email="ops@acme.test"
    )


@pytest.fixture
def alice(acme):
    return MembershipFactory(partner=acme, user=UserFactory(email="alice@acme.test"), role="owner").user


@pytest.fixture
def bob(acme):
    return MembershipFactory(partner=acme, user=UserFactory(email="bob@acme.test"), role="developer").user


@pytest.fixture
def charlie(db):
    other = PartnerFactory(slug="other-mall", display_name="Other Mall")
    return MembershipFactory(partner=other, user=UserFactory(email="charlie@other.test"), role="owner").user


@pytest.fixture
def reviewable(manager):
    """A draft partner whose application and review checklist are complete."""
    return make_reviewable(actor=manager)
