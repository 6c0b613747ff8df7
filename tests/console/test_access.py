"""The console is for active staff only: anonymous users go to the admin login, partner users
are refused, and the admin index links to it."""

from __future__ import annotations

import pytest
from django.urls import reverse

PAGES = ["/staff/", "/staff/funnel/", "/staff/risk/", "/staff/inbox/", "/staff/jobs/", "/staff/audit/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_it_sends_anonymous_users_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('account_login')}?next=")


@pytest.mark.django_db
def test_staff_need_their_second_factor_for_the_console_too(staff_client, settings):
    settings.STAFF_MFA_REQUIRED = True
    response = staff_client.get("/staff/")
    # Without an authenticator: set one up through the enrolment link (portal.enrolment).
    assert response.status_code == 403
    assert "enrolment link" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_it_refuses_partner_users(client, alice, url):
    client.force_login(alice)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_it_refuses_a_deactivated_staff_member(client, staff):
    staff.is_active = False
    staff.save()
    client.force_login(staff)
    assert client.get("/staff/").status_code in (302, 403)


@pytest.mark.django_db
def test_it_refuses_decisions_from_partner_users(client, alice):
    client.force_login(alice)
    assert client.post("/staff/inbox/partner/1/approve/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_it_serves_staff_with_the_admin_look(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 200
    assert "admin/base_site.html" in [t.name for t in response.templates]


@pytest.mark.django_db
def test_the_admin_index_links_the_console(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="staff-console-panel"' in body
    for url in PAGES:
        assert f'href="{url}"' in body


@pytest.mark.django_db
def test_it_speaks_chinese(staff_client):
    response = staff_client.get("/staff/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "生态" in response.content.decode()
