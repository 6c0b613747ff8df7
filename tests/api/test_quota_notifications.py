"""The quota thresholds: the call that reaches 80 % and the one that reaches 100 % of the
month's quota each hand one notice to the worker; the technical team reads it once a month."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache

from partners.api import throttling
from partners.models import Notification
from tests.factories import MembershipFactory, UserFactory

from .factories import auth, issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(acme):
    for role in ("owner", "developer", "finance"):
        MembershipFactory(partner=acme, role=role, user=UserFactory(email=f"{role}@acme.test"))


def test_80_and_100_percent_each_tell_the_technical_team_once(
    api, acme, acme_key, team, settings, django_capture_on_commit_callbacks
):
    settings.API_MONTHLY_QUOTA = {**settings.API_MONTHLY_QUOTA, "standard": 5}
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    rows = Notification.objects.filter(partner=acme)
    assert sorted(rows.values_list("kind", "recipient__email")) == [
        ("quota.100", "developer@acme.test"),
        ("quota.100", "owner@acme.test"),
        ("quota.80", "developer@acme.test"),
        ("quota.80", "owner@acme.test"),
    ]
    assert rows.filter(kind="quota.80").first().params["used"] == "4"


def test_a_counter_that_starts_again_does_not_tell_twice_in_a_month(
    api, acme, acme_key, team, settings, django_capture_on_commit_callbacks
):
    settings.API_MONTHLY_QUOTA = {**settings.API_MONTHLY_QUOTA, "standard": 2}
    with django_capture_on_commit_callbacks(execute=True):
        api.get("/api/v1/me/", **auth(acme_key.key))
        api.get("/api/v1/me/", **auth(acme_key.key))
        cache.clear()  # the counter is lost (a Redis restart): the calls count again
        second = issue(acme, name="App")
        api.get("/api/v1/me/", **auth(second.key))
        api.get("/api/v1/me/", **auth(second.key))
    assert Notification.objects.filter(kind="quota.100").count() == 2  # owner and developer, once


def test_calls_below_the_thresholds_queue_nothing(api, acme_key, settings):
    settings.API_MONTHLY_QUOTA = {**settings.API_MONTHLY_QUOTA, "standard": 100}
    with mock.patch.object(throttling, "task_signature") as queued:
        for _ in range(3):
            api.get("/api/v1/me/", **auth(acme_key.key))
    queued.assert_not_called()


def test_a_broker_that_is_down_does_not_fail_the_call(api, acme_key, settings, caplog):
    settings.API_MONTHLY_QUOTA = {**settings.API_MONTHLY_QUOTA, "standard": 1}
    with mock.patch.object(throttling, "task_signature", side_effect=OSError("broker down")):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    assert "not queued" in caplog.text
