"""The sandbox in the portal: a partner that has only applied creates a sandbox key (shown once)
and sandbox webhook endpoints from its application page; sandbox keys and endpoints carry a
badge; the sandbox's calls are shown apart and never in the live usage chart."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import ApiUsage, Partner, PartnerAPIKey, WebhookEndpoint
from tests.api.factories import issue, verified_documents

pytestmark = pytest.mark.django_db
S = Partner.Status


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda h, p, *a, **k: [(2, 1, 6, "", ("93.184.216.34", p))])


@pytest.fixture
def applied(acme):
    Partner.objects.filter(pk=acme.pk).update(status=S.UNDER_REVIEW)
    acme.refresh_from_db()
    return acme


def key_form(**overrides):
    return {
        "name": "Trial",
        "channel": "erp",
        "scopes": ["read", "offers"],
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        **overrides,
    }


def test_an_applicant_is_offered_the_sandbox_on_its_application_page(client, alice, applied):
    client.force_login(alice)

    page = client.get(reverse("portal:application")).content.decode()

    assert 'data-testid="sandbox-card"' in page
    assert reverse("portal:key-create-sandbox") in page
    assert reverse("portal:keys") in page  # the navigation's "Sandbox keys"


def test_a_draft_partner_is_not_offered_the_sandbox(client, alice, acme):
    Partner.objects.filter(pk=acme.pk).update(status=S.DRAFT)
    client.force_login(alice)

    assert 'data-testid="sandbox-card"' not in client.get(reverse("portal:application")).content.decode()
    assert client.get(reverse("portal:keys"))["Location"] == reverse("portal:application")
    assert client.get(reverse("portal:key-create-sandbox"))["Location"] == reverse("portal:application")


def test_an_applicant_s_developer_creates_a_sandbox_key_shown_once(client, bob, applied):
    client.force_login(bob)

    posted = client.post(reverse("portal:key-create-sandbox"), key_form())

    assert posted.status_code == 302
    shown = client.get(posted["Location"])
    assert "no-store" in shown["Cache-Control"]
    api_key = PartnerAPIKey.objects.get(partner=applied)
    assert api_key.sandbox
    secret = shown.content.decode().split('data-testid="new-key">')[1].split("<")[0]
    assert secret.startswith("fnk_sbx_")
    assert secret.startswith(api_key.prefix + ".")
    assert 'data-testid="sandbox-badge"' in shown.content.decode()
    listing = client.get(reverse("portal:keys")).content.decode()
    assert api_key.prefix in listing
    assert secret not in listing
    assert 'data-testid="sandbox-badge"' in listing
    # Not live yet: no live key is offered, and the live form sends the member back.
    assert reverse("portal:key-create") not in listing
    assert client.get(reverse("portal:key-create"))["Location"] == reverse("portal:application")


def test_an_applicant_s_viewer_sees_the_sandbox_keys_but_cannot_create_one(client, victor, applied):
    client.force_login(victor)

    assert client.get(reverse("portal:keys")).status_code == 200
    assert client.get(reverse("portal:key-create-sandbox")).status_code == 403


def test_the_sandbox_key_limit_is_shown_on_the_form(client, alice, applied, settings):
    settings.API_SANDBOX_KEYS_MAX = 1
    client.force_login(alice)
    client.post(reverse("portal:key-create-sandbox"), key_form())

    response = client.post(reverse("portal:key-create-sandbox"), key_form(name="Second"))

    assert response.status_code == 200
    assert "at most 1 usable sandbox keys" in response.content.decode()
    assert PartnerAPIKey.objects.filter(partner=applied).count() == 1


def test_an_active_partner_lists_live_and_sandbox_keys_apart_with_sandbox_usage_apart(
    client, alice, acme, django_assert_num_queries
):
    verified_documents(acme)
    live, test = issue(acme, name="ERP").api_key, issue(acme, name="Trial", sandbox=True).api_key
    today = timezone.localdate()
    ApiUsage.objects.create(key=live, partner=acme, day=today, endpoint="GET me/", calls=7, errors=1)
    ApiUsage.objects.create(key=test, partner=acme, day=today, endpoint="GET me/", calls=1234, errors=0)
    client.force_login(alice)

    # session, user, memberships, usage per key, keys, the bell: as before the sandbox
    with django_assert_num_queries(6):
        page = client.get(reverse("portal:keys")).content.decode()

    live_table = page.split('data-testid="live-keys"')[1].split("</table>")[0]
    sandbox_part = page.split('data-testid="sandbox-keys"')[1]
    assert live.prefix in live_table
    assert test.prefix not in live_table
    assert test.prefix in sandbox_part
    assert "Sandbox calls in the last 30 days: 1,234" in page
    assert reverse("portal:key-create") in page
    assert reverse("portal:key-create-sandbox") in page
    # The dashboard's chart counts the live calls only.
    dashboard = client.get(reverse("portal:dashboard"))
    assert (dashboard.context["calls_total"], dashboard.context["errors_total"]) == (7, 1)


def test_an_applicant_adds_a_sandbox_endpoint_only(client, alice, applied):
    client.force_login(alice)
    page = client.get(reverse("portal:webhooks")).content.decode()
    assert "Sandbox endpoint" in page

    # The box is fixed on for a partner not live yet: even a forged "off" makes a sandbox one.
    posted = client.post(
        reverse("portal:webhooks"), {"url": "https://hooks.shop.test/", "events": ["key.expiring"]}
    )

    assert posted.status_code == 302
    created = WebhookEndpoint.objects.get(partner=applied)
    assert created.sandbox is True
    listing = client.get(reverse("portal:webhooks")).content.decode()
    assert 'data-testid="sandbox-badge"' in listing
    detail = client.get(reverse("portal:webhook", args=[created.pk])).content.decode()
    assert "livemode" in detail
    tested = client.post(reverse("portal:webhook-test", args=[created.pk]))
    assert tested.status_code == 302
    assert created.deliveries.filter(event="webhook.test").count() == 1


def test_an_active_partner_chooses_a_sandbox_or_a_live_endpoint(client, alice, acme):
    client.force_login(alice)

    client.post(
        reverse("portal:webhooks"),
        {"url": "https://test.acme.test/", "events": ["key.expiring"], "sandbox": "on"},
    )
    client.post(reverse("portal:webhooks"), {"url": "https://live.acme.test/", "events": ["key.expiring"]})

    assert dict(WebhookEndpoint.objects.filter(partner=acme).values_list("url", "sandbox")) == {
        "https://test.acme.test/": True,
        "https://live.acme.test/": False,
    }
    page = client.get(reverse("portal:webhooks")).content.decode()
    assert page.count('data-testid="sandbox-badge"') == 1
