"""Authentication and the status codes of the contract (docs/api.md): 401, 403, 404, 405, 429."""

from __future__ import annotations

import os
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from partners.models import Partner, PartnerAPIKey, PartnerDocument
from partners.services import api_key_revoke, api_key_rotate
from partners.services.lifecycle import partner_suspend

from .factories import auth, issue

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert "Traceback" not in response.content.decode()
    return body["error"]


def test_it_answers_me_with_the_partner_and_the_key(api, acme_key):
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 200
    body = response.json()
    assert body["partner"] == {
        "slug": "acme-travel",
        "name": "Acme Travel",
        "industry": "travel",
        "status": "active",
    }
    assert body["key"]["prefix"] == acme_key.api_key.prefix
    assert body["key"]["scopes"] == ["offers", "read", "transactions"]
    assert body["key"]["expires_at"].endswith("+08:00")


def test_a_cached_key_costs_no_query(api, acme_key, django_assert_num_queries):
    api.get("/api/v1/me/", **auth(acme_key.key))
    with django_assert_num_queries(0):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer abc",
        "Api-Key",
        "Api-Key not-a-key",
        "Api-Key fnk_AAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        "Api-Key " + "x" * 500,
    ],
)
def test_it_rejects_missing_malformed_and_unknown_keys(api, acme_key, header):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = api.get("/api/v1/me/", **kwargs)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert error_of(response)["code"] == "not_authenticated"


def test_it_rejects_a_key_with_a_known_prefix_and_a_wrong_secret(api, acme_key):
    prefix = acme_key.api_key.prefix
    forged = prefix + "." + "A" * 40
    assert api.get("/api/v1/me/", **auth(forged)).status_code == 401


def test_it_rejects_a_revoked_key_on_the_very_next_request(api, acme_key, django_capture_on_commit_callbacks):
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        api_key_revoke(api_key=acme_key.api_key, actor=None, reason="leaked in a log")
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]


def test_it_rejects_an_expired_key(api, acme):
    issued = issue(acme, expires_at=timezone.now() + timedelta(days=1))
    assert api.get("/api/v1/me/", **auth(issued.key)).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = api.get("/api/v1/me/", **auth(issued.key))
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]


def test_rotation_keeps_the_old_key_working_until_the_overlap_ends(
    api, acme_key, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            new = api_key_rotate(api_key=acme_key.api_key, actor=None, overlap=timedelta(hours=2))
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
        assert api.get("/api/v1/me/", **auth(new.key)).status_code == 200
    with time_machine.travel(start + timedelta(hours=1, minutes=59), tick=False):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    with time_machine.travel(start + timedelta(hours=2, seconds=1), tick=False):
        assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 401
        response = api.get("/api/v1/me/", **auth(new.key))
        assert response.status_code == 200
        assert response.json()["key"]["prefix"] == new.api_key.prefix


def test_a_suspended_partner_is_refused_on_the_very_next_request(
    api, acme, acme_key, staff_roles, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from portal import roles
    from tests.factories import StaffFactory

    manager = StaffFactory(email="manager@bank.test")
    manager.groups.add(Group.objects.get(name=roles.PARTNER_MANAGERS))
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        partner_suspend(partner=acme, actor=manager, reason="unpaid fees")
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 403
    assert "not active" in error_of(response)["message"]


def test_an_expired_required_document_is_refused_the_day_it_expires(api, acme, acme_key):
    today = timezone.localdate()
    PartnerDocument.objects.filter(partner=acme, document_type="business_licence").update(expires_on=today)
    cache.clear()
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    tomorrow = timezone.now() + timedelta(days=1)
    with time_machine.travel(tomorrow):
        response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 403
    assert "Business licence" in error_of(response)["message"]


def test_a_partner_that_is_not_active_is_refused(api, acme, acme_key):
    Partner.objects.filter(pk=acme.pk).update(status="terminated")
    cache.clear()
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 403


def test_unknown_routes_answer_json_404_whatever_the_method(api, acme_key):
    for method in ("get", "post", "put", "delete"):
        response = getattr(api, method)("/api/v1/no-such-thing/", **auth(acme_key.key))
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
    assert api.get("/api/nothing").status_code == 404


def test_a_wrong_method_answers_405_in_the_error_shape(api, acme_key):
    response = api.delete("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_last_use_is_recorded_at_most_once_a_minute(api, acme_key, django_assert_num_queries, settings):
    # The local-memory cache: its expiry follows the patched clock, Redis's does not.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    api.get("/api/v1/me/", **auth(acme_key.key))
    acme_key.api_key.refresh_from_db()
    first = acme_key.api_key.last_used_at
    assert first is not None
    with django_assert_num_queries(0):
        api.get("/api/v1/me/", **auth(acme_key.key))
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        api.get("/api/v1/me/", **auth(acme_key.key))
    acme_key.api_key.refresh_from_db()
    assert acme_key.api_key.last_used_at > first


def test_a_rejected_document_is_refused_on_the_next_request(
    api, acme, acme_key, staff_roles, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Group

    from partners.services import document_reject
    from portal import roles
    from tests.factories import StaffFactory

    manager = StaffFactory(email="manager@bank.test")
    manager.groups.add(Group.objects.get(name=roles.PARTNER_MANAGERS))
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200
    document = PartnerDocument.objects.get(partner=acme, document_type="cooperation_agreement")
    with django_capture_on_commit_callbacks(execute=True):
        document_reject(document=document, actor=manager, reason="forged signature")
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 403
    assert "Cooperation agreement" in error_of(response)["message"]


@pytest.mark.django_db(transaction=True)
def test_a_key_revoked_from_another_process_is_refused_on_the_next_request(api, acme_key, settings, tmp_path):
    """The embedded default caches verifications in each process; ``revoke_api_key`` run in a
    shell (another process) still reaches this one at once, through the epoch file."""
    import subprocess
    import sys

    from core.counters import counters_backend
    from tests.worker import ROOT, test_database_url

    # The embedded default, also where the suite runs with REDIS_URL (the shell pops it too).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not counters_backend().shared
    settings.API_AUTH_EPOCH_FILE = str(tmp_path / "api-auth.epoch")
    assert api.get("/api/v1/me/", **auth(acme_key.key)).status_code == 200  # cached now

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": test_database_url(),
        "API_AUTH_EPOCH_FILE": settings.API_AUTH_EPOCH_FILE,
    }
    env.pop("DJANGO_ENV", None)
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "revoke_api_key", acme_key.api_key.prefix],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]


def test_with_a_shared_cache_no_epoch_file_is_written(settings, tmp_path):
    """Production (Redis) reaches every process through the cache: no file under var/. (A
    forget bumps the generation as on Redis: a token written in the test's cache.)"""
    from core.counters import counters_backend
    from partners.keycache import LocalRecords

    settings.API_AUTH_EPOCH_FILE = str(tmp_path / "api-auth.epoch")
    with mock.patch.object(type(counters_backend()), "shared", True):  # as on Redis
        LocalRecords().partners_forget((1,))
        LocalRecords().keys_forget(("fnk_AAAAAAAA",))
    assert not (tmp_path / "api-auth.epoch").exists()

    # The embedded default (also where the suite runs with REDIS_URL).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    LocalRecords().partners_forget((1,))
    assert (tmp_path / "api-auth.epoch").exists()


def test_a_process_drops_its_cached_records_when_the_epoch_changes(api, acme_key, settings, tmp_path):
    """The embedded default: another process's change replaces the epoch file, and this
    process's next lookup goes back to the database."""
    from core.epoch import epoch_touch
    from partners.keycache import key_record, keycache_start

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.API_AUTH_EPOCH_FILE = str(tmp_path / "api-auth.epoch")
    records = keycache_start()
    prefix = acme_key.api_key.prefix
    assert key_record(prefix).revoked is False
    PartnerAPIKey.objects.filter(prefix=prefix).update(revoked=True, revoked_at=timezone.now())  # elsewhere
    assert key_record(prefix).revoked is False  # still the cached record
    epoch_touch()  # … and its signal
    assert key_record(prefix).revoked is True
    assert records.memo.seen != (0, 0)
