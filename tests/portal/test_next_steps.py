"""The dashboard's next steps and the console's actions: nobody is offered a link or a button
that answers 403. Personas: alice owns Acme Travel, bob is its developer, victor its viewer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api.factories import issue
from tests.scenarios.factories import ParticipationFactory

pytestmark = pytest.mark.django_db


def _next_steps(client) -> str:
    page = client.get(reverse("portal:dashboard")).content.decode()
    return page[page.index('id="next-steps"') :]


def test_a_new_partner_owner_is_told_to_join_a_scenario_and_create_a_key(client, alice):
    client.force_login(alice)

    steps = _next_steps(client)

    assert "Browse scenarios and join one" in steps
    assert f'href="{reverse("portal:key-create")}"' in steps


def test_a_viewer_is_offered_no_key_creation(client, victor):
    client.force_login(victor)

    page = client.get(reverse("portal:dashboard")).content.decode()

    assert reverse("portal:key-create") not in page
    assert "Browse scenarios and join one" not in page
    assert client.get(reverse("portal:key-create")).status_code == 403  # the rule the link follows


def test_an_active_partner_is_not_told_to_browse_scenarios(client, alice, documented):
    ParticipationFactory(partner=documented)
    issue(documented)
    client.force_login(alice)

    steps = _next_steps(client)

    assert "Browse scenarios and join one" not in steps
    assert reverse("portal:key-create") not in steps
    assert "Make your first API call" in steps  # a key, no call yet


def test_a_partner_waiting_for_its_request_is_not_told_to_join_again(client, bob, acme):
    ParticipationFactory(partner=acme, status="requested")
    client.force_login(bob)

    assert "Browse scenarios and join one" not in _next_steps(client)


def test_a_suspended_partner_is_offered_nothing_to_change(client, alice, acme):
    acme.status = "suspended"
    acme.save(update_fields=["status"])
    client.force_login(alice)

    steps = _next_steps(client)

    assert reverse("portal:key-create") not in steps
    assert "Nothing waits for you now." in steps


@pytest.fixture
def maker(staff_roles):
    from django.contrib.auth.models import Group

    from portal import roles
    from tests.factories import StaffFactory

    user = StaffFactory(email="maker@bank.test")
    user.groups.add(Group.objects.get(name=roles.FINANCE_MAKERS))
    return user


def test_a_maker_is_not_offered_to_edit_the_schedules(client, maker):
    client.force_login(maker)

    page = client.get(reverse("console:jobs")).content.decode()

    assert "Edit schedules" not in page
    assert client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 403


def test_a_superuser_is_offered_to_edit_the_schedules(client, db):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(email="root@bank.test", is_superuser=True))

    page = client.get(reverse("console:jobs")).content.decode()

    assert "Edit schedules" in page
    assert reverse("admin:django_celery_beat_periodictask_changelist") in page
