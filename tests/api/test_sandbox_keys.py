"""Sandbox keys (``fnk_sbx_…``): issued from the submitted application on, accepted for those
partner statuses whatever the documents, ``me/`` says the mode, their own limits and quota
(a sandbox 429 never touches live traffic), and their usage kept out of live figures."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from partners.api import counters
from partners.exceptions import ApiKeyInvalid, DocumentsNotValid
from partners.keycache import partner_forget
from partners.models import ApiUsage, Notification, Partner, PartnerAPIKey
from partners.notifications import Notice
from partners.services import api_key_revoke, api_key_rotate
from portal.selectors import partner_daily_calls
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

from .factories import auth, issue

pytestmark = pytest.mark.django_db

S = Partner.Status
ALLOWED = [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED, S.ACTIVE]
REFUSED = [S.DRAFT, S.REJECTED, S.SUSPENDED, S.TERMINATED]
SANDBOX_KEY = re.compile(r"^fnk_sbx_[A-Za-z0-9]{8}\.[A-Za-z0-9]{40}$")


def applicant(status=S.SUBMITTED, slug="new-shop"):
    """A partner without a single verified document (as under review)."""
    return PartnerFactory(slug=slug, status=status)


def sandbox(partner, **kwargs):
    return issue(partner, sandbox=True, **kwargs)


def move(partner, status):
    Partner.objects.filter(pk=partner.pk).update(status=status)
    partner.refresh_from_db()
    partner_forget(partner.pk)


# --------------------------------------------------------------------------------------
# Issuance
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ALLOWED)
def test_the_command_issues_a_sandbox_key_on_the_last_line_from_the_submitted_application_on(status):
    partner = applicant(status)
    out = StringIO()

    call_command(
        "issue_api_key", partner.slug, "--name", "Trial", "--scopes", "read,offers", "--sandbox", stdout=out
    )

    last = out.getvalue().strip().splitlines()[-1]
    assert SANDBOX_KEY.match(last)
    stored = PartnerAPIKey.objects.get(partner=partner)
    assert stored.sandbox is True
    assert last.startswith(stored.prefix + ".")
    assert "sandbox key" in out.getvalue()


@pytest.mark.parametrize("status", REFUSED)
def test_the_command_refuses_a_sandbox_key_to_a_draft_rejected_suspended_or_closed_partner(status):
    partner = applicant(status)

    with pytest.raises(CommandError, match="sandbox keys are issued from the moment the application"):
        call_command("issue_api_key", partner.slug, "--name", "Trial", "--scopes", "read", "--sandbox")

    assert not PartnerAPIKey.objects.filter(partner=partner).exists()


@pytest.mark.parametrize("status", [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED])
def test_live_keys_keep_today_s_rule(status):
    partner = applicant(status)

    with pytest.raises(CommandError, match="active partners only"):
        call_command("issue_api_key", partner.slug, "--name", "ERP", "--scopes", "read")


def test_a_live_key_still_needs_valid_documents_but_a_sandbox_key_does_not():
    partner = applicant(S.ACTIVE)
    with pytest.raises(DocumentsNotValid):
        issue(partner)
    assert SANDBOX_KEY.match(sandbox(partner).key)


def test_live_keys_keep_the_live_format(acme):
    key = issue(acme).key
    assert key.startswith("fnk_")
    assert not key.startswith("fnk_sbx_")
    assert PartnerAPIKey.objects.get(prefix=key.split(".")[0]).sandbox_secret == ""


def test_at_most_the_setting_s_usable_sandbox_keys_and_revoking_frees_a_place(settings):
    settings.API_SANDBOX_KEYS_MAX = 2
    partner = applicant()
    first, _second = sandbox(partner, name="one"), sandbox(partner, name="two")

    with pytest.raises(ApiKeyInvalid) as error:
        sandbox(partner, name="three")
    assert error.value.code == "sandbox_key_limit"
    assert "at most 2 usable sandbox keys" in error.value.message

    api_key_revoke(api_key=first.api_key, actor=None, reason="done")
    assert sandbox(partner, name="three").api_key.sandbox


def test_a_rotation_keeps_the_sandbox_flag_and_is_not_refused_for_the_limit(settings):
    settings.API_SANDBOX_KEYS_MAX = 1
    partner = applicant(S.UNDER_REVIEW)
    old = sandbox(partner).api_key

    new = api_key_rotate(api_key=old, actor=None)

    assert SANDBOX_KEY.match(new.key)
    assert new.api_key.sandbox


def test_the_default_limit_is_five():
    from portal import settings as defaults

    assert defaults.API_SANDBOX_KEYS_MAX == 5


# --------------------------------------------------------------------------------------
# Authentication and me/
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ALLOWED)
def test_a_sandbox_key_authenticates_without_verified_documents_and_me_says_sandbox(api, status):
    partner = applicant(status)
    key = sandbox(partner).key

    response = api.get("/api/v1/me/", **auth(key))

    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "sandbox"
    assert body["partner"]["status"] == status
    assert body["key"]["prefix"] == key.split(".")[0]


def test_a_live_key_s_me_says_live(api, acme_key):
    assert api.get("/api/v1/me/", **auth(acme_key.key)).json()["mode"] == "live"


@pytest.mark.parametrize("status", [S.REJECTED, S.SUSPENDED, S.TERMINATED, S.DRAFT])
def test_a_sandbox_key_is_refused_on_the_next_request_once_the_partner_leaves_the_allowed_states(api, status):
    partner = applicant(S.UNDER_REVIEW)
    key = sandbox(partner).key
    assert api.get("/api/v1/me/", **auth(key)).status_code == 200

    move(partner, status)

    response = api.get("/api/v1/me/", **auth(key))
    assert response.status_code == 403
    assert "its sandbox keys are refused" in response.json()["error"]["message"]


def test_a_revoked_sandbox_key_is_refused_on_the_next_request(api, django_capture_on_commit_callbacks):
    partner = applicant()
    issued = sandbox(partner)
    assert api.get("/api/v1/me/", **auth(issued.key)).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=issued.api_key, actor=None, reason="leaked")

    assert api.get("/api/v1/me/", **auth(issued.key)).status_code == 401


def test_a_partner_back_under_review_keeps_its_sandbox_but_not_its_live_key(api, acme, acme_key):
    sandbox_key = sandbox(acme).key
    move(acme, S.UNDER_REVIEW)

    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 403
    assert api.get("/api/v1/me/", **auth(sandbox_key)).status_code == 200


# --------------------------------------------------------------------------------------
# Limits and quota
# --------------------------------------------------------------------------------------
def test_the_sandbox_has_its_own_smaller_rate_limit_and_its_429_leaves_live_keys_alone(
    api, acme, acme_key, settings
):
    settings.API_RATE_BURST = (5, 10)
    settings.API_SANDBOX_RATE_BURST = (2, 10)
    key = sandbox(acme).key
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
        statuses = [api.get("/api/v1/me/", **auth(key)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        refused = api.get("/api/v1/me/", **auth(key))
        assert (
            "Sandbox rate limit exceeded: at most 2 calls per 10 seconds"
            in refused.json()["error"]["message"]
        )
        assert refused["Retry-After"] == "10"
        # The live key still has every one of its own calls.
        assert [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(6)] == [200] * 5 + [
            429
        ]


def test_the_sandbox_sustained_limit_is_its_own(api, acme, acme_key, settings):
    settings.API_SANDBOX_RATE_SUSTAINED = (1, 3600)
    key = sandbox(acme).key
    with time_machine.travel(timezone.now().replace(minute=0, second=0), tick=False):
        assert api.get("/api/v1/me/", **auth(key)).status_code == 200
        assert api.get("/api/v1/me/", **auth(key)).status_code == 429
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200


def test_the_sandbox_quota_is_counted_apart_from_the_live_quota(api, acme, acme_key, settings):
    settings.API_MONTHLY_QUOTA = {**settings.API_MONTHLY_QUOTA, "standard": 3}
    settings.API_SANDBOX_MONTHLY_QUOTA = 2
    key = sandbox(acme).key

    assert [api.get("/api/v1/me/", **auth(key)).status_code for _ in range(3)] == [200, 200, 429]
    refused = api.get("/api/v1/me/", **auth(key)).json()["error"]["message"]
    assert refused == "Sandbox monthly quota exhausted: 2 sandbox calls per month."
    # The sandbox calls used none of the live quota.
    assert [api.get("/api/v1/me/", **auth(acme_key.key)).status_code for _ in range(4)] == [200] * 3 + [429]
    # And the live quota being used up does not stop the sandbox's (own) counter: still refused
    # by its own, not the live, message.
    assert "Sandbox monthly quota" in api.get("/api/v1/me/", **auth(key)).json()["error"]["message"]


def test_sandbox_quota_notices_say_sandbox(api, acme, settings, django_capture_on_commit_callbacks):
    MembershipFactory(partner=acme, role="developer", user=UserFactory(email="dev@acme.test"))
    settings.API_SANDBOX_MONTHLY_QUOTA = 5
    key = sandbox(acme).key
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            api.get("/api/v1/me/", **auth(key))

    kinds = sorted(Notification.objects.filter(partner=acme).values_list("kind", flat=True))
    assert kinds == ["sandbox_quota.100", "sandbox_quota.80"]
    notice = Notice(Notification.objects.get(kind="sandbox_quota.100"))
    assert "sandbox quota: 5 of 5 calls" in notice.message
    assert "live keys are not affected" in notice.message


# --------------------------------------------------------------------------------------
# Usage
# --------------------------------------------------------------------------------------
def test_sandbox_usage_is_kept_out_of_live_usage_figures(api, acme, acme_key):
    key = sandbox(acme).key
    for _ in range(3):
        api.get("/api/v1/me/", **auth(key))
    api.get("/api/v1/me/", **auth(acme_key.key))
    counters.flush_usage()

    live = api.get("/api/v1/usage/", **auth(acme_key.key)).json()["results"]
    test = api.get("/api/v1/usage/", **auth(key)).json()["results"]

    assert [(r["key"], r["calls"]) for r in live] == [(acme_key.api_key.prefix, 1)]
    # The sandbox key's own answer (made after the flush above) sees its sandbox rows only.
    assert {r["key"] for r in test} == {key.split(".")[0]}
    assert sum(r["calls"] for r in test) >= 3
    today = timezone.localdate()
    assert partner_daily_calls(partner=acme, since=today, until=today) == {today: (2, 0)}
    assert ApiUsage.objects.filter(partner=acme, key__sandbox=True).exists()
