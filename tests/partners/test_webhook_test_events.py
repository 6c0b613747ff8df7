"""Test events ("Send test event", ``webhook.test``) are limited per endpoint and per partner
within any hour; the refusal says which limit and when the next one may go, in the service
(429) and on the portal page."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from partners.exceptions import WebhookTestLimited
from partners.models import WebhookDelivery
from partners.services import webhook_endpoint_create, webhook_test_send
from tests.api.factories import api_partner

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """Patch the network: every host name resolves to a public address."""
    monkeypatch.setattr(socket, "getaddrinfo", lambda h, p, *a, **k: [(2, 1, 6, "", ("93.184.216.34", p))])


@pytest.fixture(autouse=True)
def limits(settings):
    settings.WEBHOOK_TEST_EVENTS_PER_ENDPOINT_HOURLY = 2
    settings.WEBHOOK_TEST_EVENTS_PER_PARTNER_HOURLY = 3


def endpoint_of(partner, name="a"):
    return webhook_endpoint_create(
        partner=partner, actor=None, url=f"https://{name}.hooks.test/", events=["key.expiring"]
    ).endpoint


def test_the_defaults_are_five_per_endpoint_and_twenty_per_partner_an_hour():
    from portal import settings as defaults

    assert defaults.WEBHOOK_TEST_EVENTS_PER_ENDPOINT_HOURLY == 5
    assert defaults.WEBHOOK_TEST_EVENTS_PER_PARTNER_HOURLY == 20


def test_an_endpoint_gets_at_most_its_hourly_test_events_then_a_clear_refusal():
    acme = api_partner("acme-travel")
    endpoint = endpoint_of(acme)
    start = timezone.now().replace(microsecond=0)

    with time_machine.travel(start, tick=False):
        webhook_test_send(endpoint=endpoint, actor=None)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        webhook_test_send(endpoint=endpoint, actor=None)
        with pytest.raises(WebhookTestLimited) as error:
            webhook_test_send(endpoint=endpoint, actor=None)

    assert error.value.status_code == 429
    assert error.value.code == "webhook_test_limited"
    free_at = timezone.localtime(start + timedelta(hours=1, seconds=59)).strftime("%H:%M")
    assert error.value.message == (
        f"Too many test events: an endpoint receives at most 2 an hour. "
        f"Send the next one to this endpoint after {free_at}."
    )
    assert error.value.retry_after == 50 * 60
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        webhook_test_send(endpoint=endpoint, actor=None)  # the first one left the window
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 3


def test_a_partner_s_endpoints_share_the_partner_s_hourly_limit():
    acme = api_partner("acme-travel")
    first, second = endpoint_of(acme, "a"), endpoint_of(acme, "b")
    webhook_test_send(endpoint=first, actor=None)
    webhook_test_send(endpoint=first, actor=None)
    webhook_test_send(endpoint=second, actor=None)

    with pytest.raises(WebhookTestLimited, match="your endpoints receive at most 3 an hour together"):
        webhook_test_send(endpoint=second, actor=None)

    assert WebhookDelivery.objects.filter(event="webhook.test").count() == 3
    other = endpoint_of(api_partner("other-mall"), "c")
    assert webhook_test_send(endpoint=other, actor=None).event == "webhook.test"  # another partner's own


def test_real_events_do_not_count_against_the_test_limit():
    acme = api_partner("acme-travel")
    endpoint = endpoint_of(acme)
    for _ in range(5):
        WebhookDelivery.objects.create(endpoint=endpoint, event="key.expiring", payload={})

    webhook_test_send(endpoint=endpoint, actor=None)
    webhook_test_send(endpoint=endpoint, actor=None)

    assert WebhookDelivery.objects.filter(event="webhook.test").count() == 2


def test_a_limit_of_zero_switches_test_events_off(settings):
    settings.WEBHOOK_TEST_EVENTS_PER_PARTNER_HOURLY = 0

    with pytest.raises(WebhookTestLimited, match="switched off"):
        webhook_test_send(endpoint=endpoint_of(api_partner("acme-travel")), actor=None)


def test_the_portal_shows_the_refusal_and_sends_nothing_more(client, alice, acme):
    endpoint = endpoint_of(acme)
    client.force_login(alice)
    url = reverse("portal:webhook-test", args=[endpoint.pk])
    for _ in range(2):
        assert "A test event is on its way" in client.post(url, follow=True).content.decode()

    response = client.post(url, follow=True)

    assert response.redirect_chain == [(reverse("portal:webhook", args=[endpoint.pk]), 302)]
    page = response.content.decode()
    assert "Too many test events: an endpoint receives at most 2 an hour." in page
    assert "A test event is on its way" not in page
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2
