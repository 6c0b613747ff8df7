"""Webhook pages: add an endpoint (secret shown once), rotate the secret, switch off, send a
test event, the delivery log; who may do what; another partner's endpoint is a 404."""

from __future__ import annotations

import socket

import pytest
from django.urls import reverse

from partners import services
from partners.models import Partner, WebhookDelivery, WebhookEndpoint
from partners.webhooks import signing
from tests.factories import UserFactory
from tests.portal.conftest import member

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

    posted = client.post(
        reverse("portal:webhooks"),
        {"url": "https://hooks.acme.test/finance", "events": ["statement.ready", "key.expiring"]},
    )

    assert posted.status_code == 302
    response = client.get(posted["Location"])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = WebhookEndpoint.objects.get(partner=acme)
    shown = response.content.decode().split('data-testid="new-secret">')[1].split("<")[0]
    assert signing.decrypt_secret(endpoint.secret_encrypted) == shown
    assert shown not in client.get(reverse("portal:webhook", args=[endpoint.pk])).content.decode()
    # A reload shows no secret and adds no endpoint.
    reload = client.get(posted["Location"], follow=True)
    assert reload.redirect_chain == [(reverse("portal:webhook", args=[endpoint.pk]), 302)]
    assert shown not in reload.content.decode()
    assert WebhookEndpoint.objects.filter(partner=acme).count() == 1


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

    response = client.get(client.post(reverse("portal:webhook-rotate", args=[endpoint.pk]))["Location"])

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

    # session, user, memberships, endpoint, deliveries, the bell
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:webhook", args=[endpoint.pk]))
    assert response.content.decode().count("<code>statement.ready</code>") == size


TEST_BUTTON = 'data-testid="send-test-event"'


@pytest.mark.parametrize("role", ["owner", "admin", "developer"])
def test_a_webhook_manager_sends_a_test_event_and_sees_it_in_the_delivery_log(client, acme, role):
    endpoint = endpoint_of(acme)
    client.force_login(member(acme, f"{role}@acme.test", role))
    assert TEST_BUTTON in client.get(reverse("portal:webhook", args=[endpoint.pk])).content.decode()

    response = client.post(reverse("portal:webhook-test", args=[endpoint.pk]), follow=True)

    assert response.redirect_chain == [(reverse("portal:webhook", args=[endpoint.pk]), 302)]
    page = response.content.decode()
    assert "A test event is on its way" in page
    assert "<code>webhook.test</code>" in page
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.event, delivery.status, delivery.payload["test"]) == ("webhook.test", "pending", True)


@pytest.mark.parametrize("persona", ["fiona", "victor"])
def test_finance_and_viewers_cannot_send_a_test_event(client, request, acme, persona):
    endpoint = endpoint_of(acme)
    client.force_login(request.getfixturevalue(persona))

    assert client.post(reverse("portal:webhook-test", args=[endpoint.pk])).status_code == 403
    assert not WebhookDelivery.objects.exists()


def test_a_viewer_sees_the_log_without_the_test_button(client, victor, acme):
    endpoint = endpoint_of(acme)
    client.force_login(victor)

    assert TEST_BUTTON not in client.get(reverse("portal:webhook", args=[endpoint.pk])).content.decode()


def test_an_outsider_without_a_team_is_sent_to_apply(client, acme):
    endpoint = endpoint_of(acme)
    client.force_login(UserFactory(email="mallory@nowhere.test"))

    response = client.post(reverse("portal:webhook-test", args=[endpoint.pk]))

    assert response["Location"] == reverse("portal:apply")
    assert not WebhookDelivery.objects.exists()


def test_a_test_event_to_another_partner_s_endpoint_is_a_404(client, charlie, acme):
    endpoint = endpoint_of(acme)
    client.force_login(charlie)

    assert client.post(reverse("portal:webhook-test", args=[endpoint.pk])).status_code == 404
    assert not WebhookDelivery.objects.exists()


def test_a_suspended_partner_cannot_send_a_test_event(client, alice, acme):
    endpoint = endpoint_of(acme)
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.SUSPENDED)
    client.force_login(alice)

    assert TEST_BUTTON not in client.get(reverse("portal:webhook", args=[endpoint.pk])).content.decode()
    response = client.post(reverse("portal:webhook-test", args=[endpoint.pk]))

    assert response.status_code == 403
    assert not WebhookDelivery.objects.exists()


def test_a_switched_off_endpoint_has_no_test_button_and_a_posted_test_is_refused(client, alice, acme):
    endpoint = endpoint_of(acme)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    client.force_login(alice)

    assert TEST_BUTTON not in client.get(reverse("portal:webhook", args=[endpoint.pk])).content.decode()
    response = client.post(reverse("portal:webhook-test", args=[endpoint.pk]), follow=True)

    assert "switch it on to send it a test event" in response.content.decode()
    assert not WebhookDelivery.objects.exists()
