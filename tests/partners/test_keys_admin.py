"""Staff see keys in the admin (never the secret or its hash), issue one (shown once),
revoke with a reason; list pages cost the same whatever the number of keys."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.urls import reverse

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


# "fnk_" then random letters: "fnk_3Axy…" reads, unquoted, as "fnk:xy…" (the admin escapes "_"
# in ids), so every link to a key's page must go through admin_urlquote. The second case pins it.
@pytest.mark.parametrize("random_part", [None, "3AbC5Fde"])
def test_staff_issue_a_key_and_see_it_once(client, manager, acme, monkeypatch, random_part):
    if random_part:
        monkeypatch.setattr(
            "partners.keygen.get_random_string", lambda length, alphabet: random_part[:length]
        )
    client.force_login(manager)
    posted = client.post(
        "/admin/partners/partnerapikey/add/",
        {"partner": acme.pk, "name": "ERP", "channel": "erp", "scopes": ["read", "offers"]},
    )
    assert posted.status_code == 302
    response = client.get(posted["Location"])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    api_key = PartnerAPIKey.objects.get()
    shown = response.content.decode().split("<code data-new-key>")[1].split("<")[0]
    assert shown.startswith(api_key.prefix + ".")
    link = re.search(r'<a href="([^"]+)">' + re.escape(api_key.prefix) + "</a>", response.content.decode())[1]
    assert link == reverse("admin:partners_partnerapikey_change", args=[quote(api_key.pk)])
    page = client.get(link)
    assert page.status_code == 200
    page = page.content.decode()
    assert api_key.prefix in page
    assert api_key.hashed_key.split("$$")[1] not in page
    assert shown not in page
    # The key never travels in a cookie (messages) and a reload neither shows it nor issues another.
    assert shown not in str(posted.cookies)
    reload = client.get(posted["Location"], follow=True)
    assert shown not in reload.content.decode()
    assert "shown only once, and these were" in reload.content.decode()
    assert PartnerAPIKey.objects.count() == 1


def test_staff_rotate_keys_and_see_the_new_ones_once(client, manager, acme):
    old = issue(acme).api_key
    client.force_login(manager)

    posted = client.post("/admin/partners/partnerapikey/", {"action": "rotate", "_selected_action": [old.pk]})

    new = PartnerAPIKey.objects.get(rotated_from=old)
    page = client.get(posted["Location"]).content.decode()
    assert f"<code data-new-key>{new.prefix}." in page
    assert "data-new-key" not in client.get(posted["Location"], follow=True).content.decode()


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
