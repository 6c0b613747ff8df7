"""Webhook pages: add an endpoint (secret shown once), rotate the secret, switch off, the
delivery log; who may do what; another partner's endpoint is a 404."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from partners import services
from partners.models import WebhookDelivery, WebhookEndpoint
from partners.webhooks import signing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    """Patch the network: every host name resolves to a public address."""

    def fake(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def endpoint_of(partner, url="https://hooks.acme.test/finance"):
    return services.webhook_endpoint_create(
        partner=partner, actor=None, url=url, events=["statement.ready"]
    ).endpoint


def test_a_developer_adds_an_endpoint_and_sees_the_secret_once(client, bob, acme):
    client.force_login(bob)

    response = client.post(
        reverse("portal:webhooks"),
        {"url": "https://hooks.acme.test/finance", "events": ["statement.ready", "key.expiring"]},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get(partner=acme)
    shown = response.content.decode().split('data-testid="new-secret">')[1].split("<")[0]
    assert signing.decrypt_secret(endpoint.secret_encrypted) == shown
    assert shown not in client.get(reverse("portal:webhook", args=[endpoint.pk])).content.decode()


def test_a_plain_http_address_is_refused_on_its_field(client, bob, acme):
    client.force_login(bob)

    response = client.post(
        reverse("portal:webhooks"), {"url": "http://hooks.acme.test/", "events": ["key.expiring"]}
    )

    assert "must use HTTPS" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotating_the_secret_shows_the_new_one_and_keeps_the_old_for_the_overlap(client, alice, acme):
    endpoint = endpoint_of(acme)
    client.force_login(alice)

    response = client.post(reverse("portal:webhook-rotate", args=[endpoint.pk]))

    endpoint.refresh_from_db()
    shown = response.content.decode().split('data-testid="new-secret">')[1].split("<")[0]
    assert signing.decrypt_secret(endpoint.secret_encrypted) == shown
    assert endpoint.previous_secret_until is not None


def test_switching_an_endpoint_off(client, alice, acme):
    endpoint = endpoint_of(acme)
    client.force_login(alice)

    client.post(reverse("portal:webhook-toggle", args=[endpoint.pk]))

    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_the_delivery_log_shows_attempts_and_errors(client, bob, acme):
    endpoint = endpoint_of(acme)
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="statement.ready",
        payload={},
        attempts=3,
        last_status_code=502,
        last_error="bad gateway",
    )
    client.force_login(bob)

    page = client.get(reverse("portal:webhook", args=[endpoint.pk])).content.decode()

    assert "bad gateway" in page
    assert "502" in page


@pytest.mark.parametrize("persona", ["fiona", "victor"])
def test_finance_and_viewers_cannot_change_webhooks(client, request, acme, persona):
    endpoint = endpoint_of(acme)
    user = request.getfixturevalue(persona)
    client.force_login(user)

    expected_read = 200 if persona == "victor" else 403
    assert client.get(reverse("portal:webhooks")).status_code == expected_read
    assert client.post(reverse("portal:webhook-rotate", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("portal:webhook-toggle", args=[endpoint.pk])).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.is_active


def test_another_partner_s_endpoint_is_a_404(client, alice, other):
    foreign = endpoint_of(other, "https://hooks.other.test/")
    client.force_login(alice)

    assert client.get(reverse("portal:webhook", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("portal:webhook-rotate", args=[foreign.pk])).status_code == 404


@pytest.mark.parametrize("size", [1, 5])
def test_the_delivery_log_costs_the_same_queries_whatever_the_data(
    client, bob, acme, django_assert_num_queries, size
):
    endpoint = endpoint_of(acme)
    for _ in range(size):
        WebhookDelivery.objects.create(endpoint=endpoint, event="statement.ready", payload={})
    client.force_login(bob)

    # session, user, memberships, endpoint, deliveries
    with django_assert_num_queries(5):
        response = client.get(reverse("portal:webhook", args=[endpoint.pk]))
    assert response.content.decode().count("<code>statement.ready</code>") == size
