"""Sandbox webhook endpoints: a partner that has only applied may add them (live ones keep
today's rule), they receive sandbox events only and live endpoints live events only, and their
test event says ``"livemode": false``. Staff see the sandbox flags in the admin."""

from __future__ import annotations

import json
import socket

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse

from partners.exceptions import PartnerNotAllowed
from partners.models import Partner, PartnerAPIKey
from partners.services import webhook_endpoint_create, webhook_event_publish, webhook_test_send
from partners.services.webhooks import delivery_body
from tests.api.factories import api_partner, issue
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db
S = Partner.Status


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """Patch the network: every host name resolves to a public address."""
    monkeypatch.setattr(socket, "getaddrinfo", lambda h, p, *a, **k: [(2, 1, 6, "", ("93.184.216.34", p))])


def endpoint(partner, *, sandbox: bool, name: str = "a", events=("key.expiring",)):
    return webhook_endpoint_create(
        partner=partner, actor=None, url=f"https://{name}.hooks.test/", events=list(events), sandbox=sandbox
    ).endpoint


@pytest.mark.parametrize("status", [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED, S.ACTIVE])
def test_a_partner_that_applied_adds_a_sandbox_endpoint(status):
    partner = PartnerFactory(slug="new-shop", status=status)

    created = endpoint(partner, sandbox=True)

    assert created.sandbox is True


@pytest.mark.parametrize("status", [S.DRAFT, S.REJECTED])
def test_no_sandbox_endpoint_before_the_application_is_submitted_or_after_a_rejection(status):
    partner = PartnerFactory(slug="new-shop", status=status)

    with pytest.raises(PartnerNotAllowed, match="sandbox endpoints are available from the moment"):
        endpoint(partner, sandbox=True)


@pytest.mark.parametrize("status", [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED])
def test_a_partner_not_live_yet_gets_no_live_endpoint(status):
    partner = PartnerFactory(slug="new-shop", status=status)

    with pytest.raises(PartnerNotAllowed) as error:
        endpoint(partner, sandbox=False)

    assert error.value.field == "sandbox"
    assert "not live yet" in error.value.message


def test_live_events_go_to_live_endpoints_and_sandbox_events_to_sandbox_endpoints_only():
    acme = api_partner("acme-travel")
    live, test = endpoint(acme, sandbox=False, name="live"), endpoint(acme, sandbox=True, name="test")

    (live_delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={"n": 1})
    (test_delivery,) = webhook_event_publish(
        partner=acme, event="key.expiring", payload={"n": 2}, livemode=False
    )

    assert live_delivery.endpoint_id == live.pk
    assert test_delivery.endpoint_id == test.pk
    assert json.loads(delivery_body(live_delivery))["livemode"] is True
    assert json.loads(delivery_body(test_delivery))["livemode"] is False


def test_a_partner_with_a_sandbox_endpoint_only_receives_no_live_event():
    partner = PartnerFactory(slug="new-shop", status=S.UNDER_REVIEW)
    endpoint(partner, sandbox=True, events=["partner.status_changed"])

    assert webhook_event_publish(partner=partner, event="partner.status_changed", payload={}) == []


def test_the_test_event_of_a_sandbox_endpoint_says_livemode_false_and_a_live_one_true():
    acme = api_partner("acme-travel")
    test = webhook_test_send(endpoint=endpoint(acme, sandbox=True, name="test"), actor=None)
    live = webhook_test_send(endpoint=endpoint(acme, sandbox=False, name="live"), actor=None)

    test_body, live_body = json.loads(delivery_body(test)), json.loads(delivery_body(live))

    assert (test_body["event"], test_body["livemode"]) == ("webhook.test", False)
    assert (live_body["event"], live_body["livemode"]) == ("webhook.test", True)
    assert test_body["data"]["test"] is True


def test_an_applicant_sends_a_test_event_to_its_sandbox_endpoint():
    partner = PartnerFactory(slug="new-shop", status=S.SUBMITTED)

    delivery = webhook_test_send(endpoint=endpoint(partner, sandbox=True), actor=None)

    assert json.loads(delivery_body(delivery))["livemode"] is False


# --------------------------------------------------------------------------------------
# Staff admin
# --------------------------------------------------------------------------------------
def test_staff_see_the_sandbox_flag_and_may_issue_a_sandbox_key(client, manager):
    partner = PartnerFactory(slug="new-shop", status=S.UNDER_REVIEW)
    live_partner = api_partner("acme-travel")
    issue(live_partner, name="ERP")
    client.force_login(manager)

    posted = client.post(
        "/admin/partners/partnerapikey/add/",
        {"partner": partner.pk, "name": "Trial", "channel": "erp", "scopes": ["read"], "sandbox": "on"},
    )

    assert posted.status_code == 302, posted.content.decode()[:2000]
    api_key = PartnerAPIKey.objects.get(partner=partner)
    assert api_key.sandbox
    assert api_key.prefix.startswith("fnk_sbx_")
    listing = client.get("/admin/partners/partnerapikey/?sandbox__exact=1").content.decode()
    assert api_key.prefix in listing
    assert "fnk_sbx_" in listing
    assert PartnerAPIKey.objects.get(partner=live_partner).prefix not in listing
    detail = client.get(
        reverse("admin:partners_partnerapikey_change", args=[quote(api_key.pk)])
    ).content.decode()
    assert "Sandbox" in detail


def test_staff_cannot_issue_a_live_key_to_a_partner_under_review(client, manager):
    partner = PartnerFactory(slug="new-shop", status=S.UNDER_REVIEW)
    client.force_login(manager)

    response = client.post(
        "/admin/partners/partnerapikey/add/",
        {"partner": partner.pk, "name": "ERP", "channel": "erp", "scopes": ["read"]},
    )

    assert response.status_code == 200
    assert "active partners only" in response.content.decode()
    assert not PartnerAPIKey.objects.filter(partner=partner).exists()
