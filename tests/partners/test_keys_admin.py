"""Staff see keys in the admin (never the secret or its hash), issue one (shown once),
revoke with a reason; list pages cost the same whatever the number of keys."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from partners.models import PartnerAPIKey
from portal import roles
from tests.api.factories import api_partner, issue
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(staff_roles):
    user = StaffFactory(email="manager@bank.test")
    user.groups.add(Group.objects.get(name=roles.PARTNER_MANAGERS))
    return user


@pytest.fixture
def acme():
    return api_partner("acme-travel")


def test_staff_issue_a_key_and_see_it_once(client, manager, acme):
    client.force_login(manager)
    response = client.post(
        "/admin/partners/partnerapikey/add/",
        {"partner": acme.pk, "name": "ERP", "channel": "erp", "scopes": ["read", "offers"]},
        follow=True,
    )
    assert response.status_code == 200
    api_key = PartnerAPIKey.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any(api_key.prefix + "." in m for m in shown)
    page = client.get(f"/admin/partners/partnerapikey/{api_key.pk}/change/").content.decode()
    assert api_key.prefix in page
    assert api_key.hashed_key.split("$$")[1] not in page
    assert not any(api_key.prefix + "." in m for m in shown if m in page)


def test_staff_revoke_a_key_with_a_reason(client, manager, acme):
    issued = issue(acme)
    client.force_login(manager)
    client.post(
        "/admin/partners/partnerapikey/",
        {"action": "revoke", "_selected_action": [issued.api_key.pk], "confirm": "1", "reason": "leaked"},
    )
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked
    assert issued.api_key.events.filter(action="revoked", actor=manager, reason="leaked").exists()


def test_the_key_list_costs_the_same_with_more_keys(client, manager, acme, django_assert_max_num_queries):
    client.force_login(manager)
    issue(acme)
    client.get("/admin/partners/partnerapikey/")
    with django_assert_max_num_queries(12) as few:
        assert client.get("/admin/partners/partnerapikey/").status_code == 200
    for n in range(10):
        issue(acme, name=f"key {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/partners/partnerapikey/").status_code == 200


def test_charlie_without_staff_rights_sees_no_keys(client, acme):
    issue(acme)
    charlie = StaffFactory(email="charlie@bank.test")
    client.force_login(charlie)
    assert client.get("/admin/partners/partnerapikey/").status_code == 403
