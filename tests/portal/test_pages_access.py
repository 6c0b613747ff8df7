"""The one access helper: partner resolution, roles, other partners, suspension, closure."""

from __future__ import annotations

import pytest
from django.urls import reverse

from partners.models import Partner
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_user_without_a_partner_is_sent_to_the_application_wizard(client):
    client.force_login(UserFactory(email="new@company.test"))

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:apply")


def test_the_owner_sees_the_dashboard_of_her_partner(client, alice):
    client.force_login(alice)

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme Travel" in page
    assert "<svg" in page  # the calls chart


def test_a_logged_in_partner_user_goes_from_home_to_the_dashboard(client, alice):
    client.force_login(alice)

    assert client.get("/")["Location"] == reverse("portal:dashboard")


def test_a_partner_still_applying_sees_its_application_status(client, alice, acme):
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.UNDER_REVIEW)
    client.force_login(alice)

    # (The keys and webhooks pages serve its sandbox: tests/portal/test_sandbox_pages.py.)
    response = client.get(reverse("portal:statements"))

    assert response["Location"] == reverse("portal:application")
    page = client.get(reverse("portal:application")).content.decode()
    assert "Under review" in page


def test_a_member_without_the_role_gets_403(client, fiona):
    client.force_login(fiona)

    assert client.get(reverse("portal:keys")).status_code == 403
    assert client.get(reverse("portal:key-create")).status_code == 403


def test_a_viewer_reads_but_cannot_change(client, victor):
    client.force_login(victor)

    assert client.get(reverse("portal:keys")).status_code == 200
    assert client.get(reverse("portal:key-create")).status_code == 403
    assert client.post(reverse("portal:team"), {"email": "x@acme.test", "role": "viewer"}).status_code == 403


def test_a_suspended_partner_is_read_only_with_a_banner(client, alice, acme):
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.SUSPENDED)
    client.force_login(alice)

    page = client.get(reverse("portal:keys")).content.decode()

    assert "the portal is read-only" in page
    assert reverse("portal:key-create") not in page
    assert client.get(reverse("portal:key-create")).status_code == 403


def test_a_terminated_partner_s_portal_is_closed(client, alice, acme):
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.TERMINATED)
    client.force_login(alice)

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 403
    assert "Portal closed" in response.content.decode()


def test_a_user_in_two_teams_switches_the_active_partner(client, alice, other):
    MembershipFactory(partner=other, user=alice, role="viewer")
    client.force_login(alice)
    assert "Acme Travel" in client.get(reverse("portal:dashboard")).content.decode()

    client.post(reverse("portal:switch"), {"partner": other.pk})

    page = client.get(reverse("portal:team")).content.decode()
    assert "Other Mall" in page
    assert "Send the invitation" not in page  # a viewer there


def test_a_user_cannot_switch_to_a_partner_he_does_not_belong_to(client, alice, other):
    client.force_login(alice)

    assert client.post(reverse("portal:switch"), {"partner": other.pk}).status_code == 404
    assert client.post(reverse("portal:switch"), {"partner": "x"}).status_code == 404


@pytest.mark.parametrize("size", [1, 6])
def test_the_dashboard_costs_the_same_queries_whatever_the_data(
    client, alice, acme, django_assert_num_queries, size
):
    from datetime import timedelta

    from django.utils import timezone

    from partners.models import ApiUsage, PartnerAPIKey

    for n in range(size):
        key = PartnerAPIKey(
            partner=acme, name=f"k{n}", scopes=["read"], expiry_date=timezone.now() + timedelta(days=3)
        )
        PartnerAPIKey.objects.assign_key(key)
        key.save()
        for day in range(size):
            ApiUsage.objects.create(
                key=key,
                partner=acme,
                day=timezone.localdate() - timedelta(days=day),
                endpoint="me",
                calls=3,
                errors=1,
            )
    PartnerFactory()  # noise
    client.force_login(alice)

    # session, user, memberships, daily calls, revenue by month, open statements, expiring
    # keys, expiring documents, agreements awaiting acceptance, and the next steps' facts:
    # participation statuses, usable keys; the bell
    with django_assert_num_queries(12):
        response = client.get(reverse("portal:dashboard"))
    assert f">{3 * size * size}<" in response.content.decode()
