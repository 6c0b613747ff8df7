"""The partners app's own notices: keys and documents expiring, webhook endpoints failing
and switched off. Each fires exactly once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from partners import services
from partners.models import Notification, PartnerDocument, WebhookEndpoint
from partners.notifications import Notice
from partners.services import webhook_deliver, webhook_event_publish
from partners.webhooks import signing, transport
from tests.api.factories import issue, verified_documents
from tests.factories import MembershipFactory, UserFactory

from .factories import add_document

pytestmark = pytest.mark.django_db
T = PartnerDocument.DocumentType


@pytest.fixture
def team(acme, alice, bob):
    MembershipFactory(partner=acme, role="finance", user=UserFactory(email="fiona@acme.test"))
    return acme


def _emails(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def test_a_key_expiring_tells_the_technical_team_once(team, settings, django_capture_on_commit_callbacks):
    verified_documents(team)
    key = issue(team, name="ERP", expires_at=timezone.now() + timedelta(days=3)).api_key
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.api_key_expiry_sweep()
    assert _emails("key.expiring") == ["alice@acme.test", "bob@acme.test"]
    row = Notification.objects.filter(kind="key.expiring").first()
    assert row.params["prefix"] == key.prefix
    assert row.link == reverse("portal:keys")


def test_a_document_expiring_tells_owners_and_admins_once_in_their_language(
    team, manager, django_capture_on_commit_callbacks
):
    today = date(2026, 12, 1)
    with time_machine.travel(date(2026, 11, 1)):
        add_document(team, manager, T.AUTHORISATION_LETTER, expires_on=today + timedelta(days=3))
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.document_expiry_sweep(today=today)
    assert _emails("document.expiring") == ["alice@acme.test"]
    notice = Notice(Notification.objects.get(kind="document.expiring"))
    with override("en"):
        assert "Authorisation letter" in notice.message
        assert "2026-12-04" in notice.message
    with override("zh-hans"):
        assert "Authorisation letter" not in notice.message
        assert "2026-12-04" in notice.message


@pytest.fixture
def failing(team, settings, monkeypatch):
    settings.WEBHOOK_FAILURE_NOTIFY_AFTER = 2
    settings.WEBHOOK_AUTO_DISABLE_AFTER = 4
    settings.WEBHOOK_MAX_ATTEMPTS = 100
    answer = {"status": 500}
    monkeypatch.setattr(transport, "post", lambda *args, **kwargs: answer["status"])
    endpoint = WebhookEndpoint.objects.create(
        partner=team,
        url="https://hooks.acme.test/in",
        events=["key.expiring"],
        secret_encrypted=signing.encrypt_secret(signing.new_secret()),
        secret_hint="whsec_x",
    )
    return endpoint, answer


def _attempts(endpoint, count: int, django_capture_on_commit_callbacks) -> None:
    (delivery,) = webhook_event_publish(partner=endpoint.partner, event="key.expiring", payload={})
    for _ in range(count):
        with django_capture_on_commit_callbacks(execute=True):
            webhook_deliver(delivery_id=delivery.pk)


def test_a_failing_endpoint_is_told_once_after_n_failures_in_a_row(
    failing, django_capture_on_commit_callbacks
):
    endpoint, _answer = failing
    _attempts(endpoint, 1, django_capture_on_commit_callbacks)
    assert not Notification.objects.exists()
    _attempts(endpoint, 2, django_capture_on_commit_callbacks)
    assert _emails("webhook.failing") == ["alice@acme.test", "bob@acme.test"]
    row = Notification.objects.filter(kind="webhook.failing").first()
    assert row.link == reverse("portal:webhook", args=[endpoint.pk])  # its delivery log
    assert row.params == {"url": endpoint.url, "failures": "2", "partner": "Acme Travel"}
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.is_active) == (3, True)


def test_a_success_starts_the_count_again(failing, django_capture_on_commit_callbacks):
    endpoint, answer = failing
    _attempts(endpoint, 1, django_capture_on_commit_callbacks)
    answer["status"] = 204
    _attempts(endpoint, 1, django_capture_on_commit_callbacks)
    answer["status"] = 500
    _attempts(endpoint, 1, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    assert not Notification.objects.exists()


def test_the_endpoint_is_switched_off_at_m_and_told_once(failing, django_capture_on_commit_callbacks):
    endpoint, _answer = failing
    _attempts(endpoint, 6, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.is_active is False
    assert endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == 4  # attempts at a switched-off endpoint are not counted
    assert _emails("webhook.disabled") == ["alice@acme.test", "bob@acme.test"]
    assert len(_emails("webhook.failing")) == 2

    services.webhook_endpoint_update(endpoint=endpoint, actor=None, is_active=True)
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.disabled_at) == (0, None)


def test_the_delivery_log_says_the_endpoint_was_switched_off(
    client, alice, failing, django_capture_on_commit_callbacks
):
    endpoint, _answer = failing
    _attempts(endpoint, 4, django_capture_on_commit_callbacks)
    client.force_login(alice)
    page = client.get(reverse("portal:webhook", args=[endpoint.pk])).content.decode()
    assert "switched off automatically on" in page
    assert "after 4 failed attempts in a row" in page
