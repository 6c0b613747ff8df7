"""Webhooks: endpoints (HTTPS, public addresses only), signed deliveries to a local server,
secret rotation with two signatures, retries with backoff, the SSRF guard (also after DNS
resolution and redirects), ``key.expiring``, the test event a partner sends on demand."""

from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from partners.exceptions import PartnerNotAllowed, WebhookAddressRefused, WebhookInvalid
from partners.models import WebhookDelivery, WebhookEndpoint
from partners.services import (
    api_key_expiry_sweep,
    webhook_deliver,
    webhook_endpoint_create,
    webhook_event_publish,
    webhook_retry_due,
    webhook_secret_rotate,
    webhook_test_send,
)
from partners.services.webhooks import backoff
from partners.webhooks import signing
from tests.api.factories import api_partner, issue

pytestmark = pytest.mark.django_db


class Receiver:
    """A local HTTP server that records what it receives and answers ``status``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.location = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/finance-n"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True  # the test setting that relaxes the guard
    with Receiver() as r:
        settings.WEBHOOK_ALLOWED_PORTS = [443, r.server.server_port]
        yield r


@pytest.fixture
def acme():
    return api_partner("acme-travel")


def public_dns(monkeypatch, address: str = "93.184.216.34"):
    """Patch the network: every host name resolves to ``address``."""

    def fake(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_delivery_is_signed_and_verifiable_with_the_secret(
    acme, receiver, django_capture_on_commit_callbacks
):
    created = webhook_endpoint_create(
        partner=acme, actor=None, url=receiver.url, events=["partner.status_changed"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        (delivery,) = webhook_event_publish(
            partner=acme, event="partner.status_changed", payload={"slug": "acme-travel", "to": "suspended"}
        )
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.attempts == 1
    (request,) = receiver.requests
    assert request["path"] == "/hooks/finance-n"
    assert request["headers"]["X-FinanceN-Event"] == "partner.status_changed"
    assert signing.verify(request["headers"]["X-FinanceN-Signature"], request["body"], created.secret)
    assert not signing.verify(request["headers"]["X-FinanceN-Signature"], request["body"], "whsec_wrong")
    assert not signing.verify(
        request["headers"]["X-FinanceN-Signature"], request["body"] + b" ", created.secret
    )
    body = json.loads(request["body"])
    assert body["event"] == "partner.status_changed"
    assert body["id"] == str(delivery.event_id)
    assert body["data"] == {"slug": "acme-travel", "to": "suspended"}


def test_an_old_signature_is_refused_as_a_replay():
    body = b"{}"
    header = signing.signature_header(["whsec_x"], 1_000_000, body)
    assert signing.verify(header, body, "whsec_x", now=1_000_100)
    assert not signing.verify(header, body, "whsec_x", now=1_000_000 + 301)


def test_the_secret_is_stored_encrypted_never_in_the_clear(acme, receiver):
    created = webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    row = WebhookEndpoint.objects.filter(pk=created.endpoint.pk).values().get()
    assert all(created.secret not in str(value) for value in row.values())
    assert signing.decrypt_secret(row["secret_encrypted"]) == created.secret


def test_a_rotated_secret_signs_too_until_the_overlap_ends(acme, receiver):
    first = webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    second = webhook_secret_rotate(endpoint=first.endpoint, actor=None, overlap=timedelta(hours=1))
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})
    webhook_deliver(delivery_id=delivery.pk)
    header, body = receiver.requests[-1]["headers"]["X-FinanceN-Signature"], receiver.requests[-1]["body"]
    assert header.count("v1=") == 2
    assert signing.verify(header, body, first.secret)
    assert signing.verify(header, body, second.secret)
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        (later,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})
        webhook_deliver(delivery_id=later.pk)
        header, body = receiver.requests[-1]["headers"]["X-FinanceN-Signature"], receiver.requests[-1]["body"]
        assert header.count("v1=") == 1
        assert signing.verify(header, body, second.secret)
        assert not signing.verify(header, body, first.secret)


def test_only_subscribed_active_endpoints_of_the_partner_get_the_event(acme, receiver):
    other = api_partner("other-mall")
    webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    webhook_endpoint_create(partner=other, actor=None, url=receiver.url, events=["partner.status_changed"])
    off = webhook_endpoint_create(
        partner=acme, actor=None, url=receiver.url, events=["partner.status_changed"]
    )
    WebhookEndpoint.objects.filter(pk=off.endpoint.pk).update(is_active=False)
    assert webhook_event_publish(partner=acme, event="partner.status_changed", payload={}) == []
    with pytest.raises(ValueError):
        webhook_event_publish(partner=acme, event="everything", payload={})


def test_a_failed_attempt_is_retried_with_exponential_backoff_then_given_up(acme, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.status = 500
    webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert webhook_deliver(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at == start + timedelta(seconds=30)
    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert webhook_retry_due() == 0
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert webhook_retry_due() == 1  # eager: the attempt runs now
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == start + timedelta(seconds=31) + timedelta(seconds=60)
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert backoff(20) == timedelta(hours=6)


def test_a_redirect_is_not_followed(acme, receiver):
    receiver.status = 302
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})
    assert webhook_deliver(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.100.100.200/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
    ],
)
def test_private_loopback_link_local_and_metadata_addresses_are_refused(acme, url):
    with pytest.raises(WebhookAddressRefused) as error:
        webhook_endpoint_create(partner=acme, actor=None, url=url, events=["key.expiring"])
    assert error.value.field == "url"
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_is_refused_without_the_test_setting(acme, monkeypatch):
    public_dns(monkeypatch)
    with pytest.raises(WebhookAddressRefused, match="HTTPS"):
        webhook_endpoint_create(
            partner=acme, actor=None, url="http://hooks.example.com/", events=["key.expiring"]
        )


def test_a_host_name_resolving_to_a_private_address_is_refused(acme, monkeypatch):
    public_dns(monkeypatch, "10.0.0.5")
    with pytest.raises(WebhookAddressRefused):
        webhook_endpoint_create(
            partner=acme, actor=None, url="https://internal.example.com/", events=["key.expiring"]
        )


def test_dns_that_turns_private_after_registration_is_refused_at_delivery(acme, monkeypatch):
    public_dns(monkeypatch, "93.184.216.34")
    webhook_endpoint_create(
        partner=acme, actor=None, url="https://hooks.example.com/x", events=["key.expiring"]
    )
    public_dns(monkeypatch, "169.254.169.254")  # rebinding to the metadata service
    connects = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a))
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})
    assert webhook_deliver(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert "must be public" in delivery.last_error
    assert connects == []


def test_the_connection_goes_to_the_vetted_address(acme, monkeypatch):
    public_dns(monkeypatch, "93.184.216.34")
    webhook_endpoint_create(
        partner=acme, actor=None, url="https://hooks.example.com/x", events=["key.expiring"]
    )
    connects = []

    def refuse(address, *args, **kwargs):
        connects.append(address)
        raise ConnectionRefusedError("refused")

    monkeypatch.setattr(socket, "create_connection", refuse)
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})
    webhook_deliver(delivery_id=delivery.pk)
    assert connects == [("93.184.216.34", 443)]
    delivery.refresh_from_db()
    assert "ConnectionRefusedError" in delivery.last_error


def test_unknown_events_and_empty_subscriptions_are_refused(acme, receiver):
    with pytest.raises(WebhookInvalid) as error:
        webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["statement.deleted"])
    assert error.value.field == "events"
    with pytest.raises(WebhookInvalid):
        webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=[])


def test_keys_expiring_soon_are_announced_once(acme, receiver, settings):
    settings.API_KEY_EXPIRY_WARNING_DAYS = 14
    webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    soon = issue(acme, expires_at=timezone.now() + timedelta(days=10))
    issue(acme, name="later", expires_at=timezone.now() + timedelta(days=100))
    assert api_key_expiry_sweep() == 1
    assert api_key_expiry_sweep() == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.payload["prefix"] == soon.api_key.prefix


def test_a_partner_status_change_is_published(
    acme, receiver, staff_roles, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from partners.services import partner_suspend
    from portal import roles
    from tests.factories import StaffFactory

    manager = StaffFactory(email="manager@bank.test")
    manager.groups.add(Group.objects.get(name=roles.PARTNER_MANAGERS))
    webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["partner.status_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        partner_suspend(partner=acme, actor=manager, reason="unpaid fees")
    (request,) = receiver.requests
    body = json.loads(request["body"])
    assert body["data"] == {"partner": "acme-travel", "from": "active", "to": "suspended"}
    assert "unpaid" not in request["body"].decode()  # staff's reason stays inside the bank


def test_the_readme_verification_example_accepts_our_signature_and_refuses_a_forgery():
    import re
    import time as clock
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2].joinpath("README.md").read_text()
    (code,) = [block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "def verify(" in block]
    namespace: dict = {}
    exec(code, namespace)  # the documented receiver, as a partner would paste it
    body = b'{"event":"key.expiring"}'
    header = signing.signature_header(["whsec_new", "whsec_old"], int(clock.time()), body)
    assert namespace["verify"](header, body, "whsec_old")
    assert namespace["verify"](header, body, "whsec_new")
    assert not namespace["verify"](header, body + b" ", "whsec_new")
    assert not namespace["verify"](header, body, "whsec_other")


def test_participation_changes_are_published(acme, receiver, staff_roles, django_capture_on_commit_callbacks):
    from scenarios import services as scenario_services
    from tests.factories import StaffFactory
    from tests.products.factories import ProductFactory
    from tests.scenarios.factories import BundleItemFactory, ScenarioFactory

    manager = StaffFactory(email="pm@bank.test")
    manager.groups.add(staff_roles["Product managers"])
    scenario = ScenarioFactory(code="travel-finance")
    BundleItemFactory(scenario=scenario, product=ProductFactory(code="trip-installment"))
    webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["participation.changed"])
    with django_capture_on_commit_callbacks(execute=True):
        participation = scenario_services.participation_request(partner=acme, scenario=scenario)
    with django_capture_on_commit_callbacks(execute=True):
        scenario_services.participation_approve(participation=participation, actor=manager)
    moves = [json.loads(r["body"])["data"] for r in receiver.requests]
    assert moves == [
        {"scenario": "travel-finance", "version": 1, "from": None, "to": "requested"},
        {"scenario": "travel-finance", "version": 1, "from": "requested", "to": "active"},
    ]


def member_of(partner, email: str, role: str):
    from tests.factories import MembershipFactory, UserFactory

    return MembershipFactory(partner=partner, user=UserFactory(email=email), role=role).user


def test_a_test_event_goes_the_way_of_real_events_signed_and_logged(
    acme, receiver, django_capture_on_commit_callbacks
):
    created = webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    developer = member_of(acme, "dev@acme.test", "developer")

    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_test_send(endpoint=created.endpoint, actor=developer)

    delivery.refresh_from_db()
    assert (delivery.endpoint, delivery.event, delivery.status, delivery.attempts) == (
        created.endpoint,
        "webhook.test",
        "delivered",
        1,
    )
    (request,) = receiver.requests
    assert request["headers"]["X-FinanceN-Event"] == "webhook.test"
    assert request["headers"]["X-FinanceN-Delivery"] == str(delivery.event_id)
    assert signing.verify(request["headers"]["X-FinanceN-Signature"], request["body"], created.secret)
    body = json.loads(request["body"])
    assert body["event"] == "webhook.test"
    assert set(body["data"]) == {"test", "message", "partner", "sent_at"}  # nothing about customers
    assert (body["data"]["test"], body["data"]["partner"]) == (True, "acme-travel")
    assert abs(timezone.now() - datetime.fromisoformat(body["data"]["sent_at"])) < timedelta(minutes=1)


def test_a_failed_test_event_is_retried_with_backoff_like_any_other(
    acme, receiver, django_capture_on_commit_callbacks
):
    receiver.status = 503
    created = webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    start = timezone.now()

    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_test_send(endpoint=created.endpoint, actor=None)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at == start + backoff(1)


def test_the_ssrf_guard_holds_for_test_events_too(acme, monkeypatch):
    public_dns(monkeypatch, "93.184.216.34")
    created = webhook_endpoint_create(
        partner=acme, actor=None, url="https://hooks.example.com/x", events=["key.expiring"]
    )
    public_dns(monkeypatch, "10.0.0.5")
    connects = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connects.append(a))

    delivery = webhook_test_send(endpoint=created.endpoint, actor=None)
    webhook_deliver(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert "must be public" in delivery.last_error
    assert connects == []


def test_a_test_event_to_a_switched_off_endpoint_is_refused(acme, receiver):
    created = webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    WebhookEndpoint.objects.filter(pk=created.endpoint.pk).update(is_active=False)
    created.endpoint.refresh_from_db()

    with pytest.raises(WebhookInvalid, match="switch it on"):
        webhook_test_send(endpoint=created.endpoint, actor=member_of(acme, "owner@acme.test", "owner"))

    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("partner_slug", "role"),
    [("other-mall", "owner"), ("acme-travel", "finance"), ("acme-travel", "viewer")],
)
def test_only_webhook_managers_of_the_endpoint_s_partner_send_a_test_event(
    acme, receiver, partner_slug, role
):
    created = webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    partner = acme if partner_slug == acme.slug else api_partner(partner_slug)

    with pytest.raises(PartnerNotAllowed):
        webhook_test_send(endpoint=created.endpoint, actor=member_of(partner, "someone@x.test", role))

    assert not WebhookDelivery.objects.exists()


def test_a_suspended_partner_s_endpoint_gets_no_test_event_even_from_staff(acme, receiver, staff_roles):
    from tests.factories import StaffFactory

    created = webhook_endpoint_create(partner=acme, actor=None, url=receiver.url, events=["key.expiring"])
    owner = member_of(acme, "owner@acme.test", "owner")
    superuser = StaffFactory(email="root@bank.test", is_superuser=True)
    acme.status = "suspended"
    acme.save(update_fields=["status"])

    for actor in (owner, superuser):
        with pytest.raises(PartnerNotAllowed, match="suspended"):
            webhook_test_send(endpoint=WebhookEndpoint.objects.get(pk=created.endpoint.pk), actor=actor)

    assert not WebhookDelivery.objects.exists()
