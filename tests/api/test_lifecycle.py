"""The API's lifecycle (docs/api-lifecycle.md): its version in the schema and the changelog,
deprecation headers on deprecated routes and fields, 410 after the sunset, the counts of
deprecated calls per key and day, and the notice the partners that use them get once."""

from __future__ import annotations

import email.utils
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from partners.api.deprecation import flush_deprecation_usage
from partners.changelog import ChangelogError, api_changelog, changelog_parse
from partners.deprecations import parse
from partners.models import ApiDeprecationUsage, Notification
from partners.services import api_deprecation_notices_send
from tests.factories import MembershipFactory, UserFactory

from .factories import auth, deprecation_entry, issue

pytestmark = pytest.mark.django_db

NOW = timezone.now()


# --------------------------------------------------------------------------------------
# Versions and the changelog
# --------------------------------------------------------------------------------------
def test_the_schema_version_is_the_newest_changelog_version():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    releases = api_changelog()
    assert schema["info"]["version"] == settings.API_VERSION == releases[0].version
    assert all(r.changes and r.changes[0].en and r.changes[0].zh for r in releases)


def test_the_schema_answers_its_version_over_http(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.json()["info"]["version"] == settings.API_VERSION


GOOD = """
- version: "1.1.0"
  date: 2026-11-30
  compatible: false
  changes:
    - en: "Two"
      zh: "二"
- version: "1.0.0"
  date: 2026-11-29
  compatible: true
  changes:
    - {en: "One", zh: "一"}
"""


def test_the_changelog_parses_newest_first():
    releases = changelog_parse(GOOD)
    assert [(r.version, r.compatible, r.changes[0].en, r.changes[0].zh) for r in releases] == [
        ("1.1.0", False, "Two", "二"),
        ("1.0.0", True, "One", "一"),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{}", "non-empty list"),
        (GOOD.replace('"1.1.0"', "1.1"), "version must be"),
        (GOOD.replace('"1.1.0"', '"0.9.0"'), "versions must go down"),
        (GOOD.replace("2026-11-29", "2026-12-01"), "dates must not go up"),
        (GOOD.replace("compatible: false", "compatible: maybe"), "compatible must be"),
        (GOOD.replace('zh: "二"', 'zh: ""'), "non-empty en and zh"),
        (GOOD.replace("  compatible: true\n", "  compatible: true\n  author: x\n"), "exactly the keys"),
        (GOOD.replace("date: 2026-11-30", "date: tomorrow"), "date must be"),
    ],
)
def test_a_malformed_changelog_is_refused_naming_what_is_wrong(text, says):
    with pytest.raises(ChangelogError, match=says):
        changelog_parse(text)


# --------------------------------------------------------------------------------------
# Deprecated routes and fields
# --------------------------------------------------------------------------------------
def test_a_deprecated_route_answers_with_deprecation_sunset_and_link(api, acme_key, settings):
    settings.API_DEPRECATIONS = [deprecation_entry()]
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 200
    deprecated_at, sunset = (
        parse(settings.API_DEPRECATIONS)[0].deprecated,
        parse(settings.API_DEPRECATIONS)[0].sunset,
    )
    assert response["Deprecation"] == f"@{int(deprecated_at.timestamp())}"
    assert email.utils.parsedate_to_datetime(response["Sunset"]).timestamp() == int(sunset.timestamp())
    assert response["Sunset"].endswith(" GMT")
    assert '<http://testserver/portal/changelog/>; rel="deprecation"' in response["Link"]
    # Another route is untouched.
    assert "Deprecation" not in api.get("/api/v1/usage/", **auth(acme_key.key))


def test_a_route_without_deprecations_has_no_headers(api, acme_key):
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 200
    assert "Deprecation" not in response
    assert "Sunset" not in response


def test_after_the_sunset_the_route_answers_410_naming_its_replacement(api, acme_key, settings):
    settings.API_DEPRECATIONS = [
        deprecation_entry(
            deprecated=(NOW - timedelta(days=100)).isoformat(), sunset=(NOW - timedelta(days=1)).isoformat()
        )
    ]
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 410
    error = response.json()["error"]
    assert error["code"] == "gone"
    assert "GET me/ was retired on" in error["message"]
    assert "use GET usage/ instead" in error["message"]
    assert error["details"]["replacement"] == "GET usage/"
    assert "Sunset" in response


def test_a_retired_route_still_asks_for_a_key_first(api, settings):
    settings.API_DEPRECATIONS = [
        deprecation_entry(sunset=(NOW - timedelta(days=1)).isoformat(), deprecated="2020-01-01")
    ]
    assert api.get("/api/v1/me/").status_code == 401


def test_a_deprecated_response_field_is_announced_where_the_answer_holds_it(api, acme_key, settings):
    settings.API_DEPRECATIONS = [
        deprecation_entry(code="me-prefix", field="key.prefix", **{"in": "response"})
    ]
    response = api.get("/api/v1/me/", **auth(acme_key.key))
    assert response.status_code == 200
    assert response.json()["key"]["prefix"]
    assert response["Deprecation"].startswith("@")
    settings.API_DEPRECATIONS = [deprecation_entry(code="me-nothing", field="key.gone", **{"in": "response"})]
    assert "Deprecation" not in api.get("/api/v1/me/", **auth(acme_key.key))


def test_a_deprecated_request_field_is_announced_when_sent_and_refused_after_its_sunset(
    api, acme_key, settings
):
    field = {"route": "transactions", "method": "POST", "field": "transactions.*.offer_id", "in": "request"}
    settings.API_DEPRECATIONS = [deprecation_entry(code="tx-offer", **field)]
    body = {"transactions": [{"external_id": "x-1", "offer_id": "ofr_1"}]}
    sent = api.post("/api/v1/transactions/", body, format="json", **auth(acme_key.key))
    assert sent.status_code == 400  # the batch is incomplete: the headers come all the same
    assert sent["Deprecation"].startswith("@")
    without = api.post(
        "/api/v1/transactions/",
        {"transactions": [{"external_id": "x-1"}]},
        format="json",
        **auth(acme_key.key),
    )
    assert "Deprecation" not in without

    settings.API_DEPRECATIONS = [
        deprecation_entry(
            code="tx-offer", deprecated="2020-01-01", sunset=(NOW - timedelta(days=1)).isoformat(), **field
        )
    ]
    retired = api.post("/api/v1/transactions/", body, format="json", **auth(acme_key.key))
    assert retired.status_code == 400
    message = retired.json()["error"]["fields"]["transactions.*.offer_id"][0]
    assert "retired" in message
    assert "GET usage/" in message


@pytest.mark.parametrize(
    "entry",
    [
        {"code": "Bad Code"},
        {"method": "FETCH"},
        {"replacement": ""},
        {"field": "a", "in": "body"},
        {"in": "request"},
        {"sunset": "2000-01-01"},
        {"color": "red"},
        {"deprecated": "soon"},
    ],
)
def test_a_malformed_registry_entry_is_refused(entry):
    with pytest.raises(ImproperlyConfigured):
        parse([deprecation_entry(**entry)])


# --------------------------------------------------------------------------------------
# Counting and notices
# --------------------------------------------------------------------------------------
def test_deprecated_calls_are_counted_per_key_and_day_without_a_write_per_call(api, acme, acme_key, settings):
    settings.API_DEPRECATIONS = [deprecation_entry()]
    settings.API_METERING_FLUSH_SECONDS = 3600  # nothing is due: the counts wait in the buffer
    second = issue(acme, name="App")
    for _ in range(3):
        api.get("/api/v1/me/", **auth(acme_key.key))
    api.get("/api/v1/me/", **auth(second.key))
    api.get("/api/v1/usage/", **auth(second.key))  # not deprecated: not counted
    assert not ApiDeprecationUsage.objects.exists()
    assert flush_deprecation_usage() == 2
    rows = dict(ApiDeprecationUsage.objects.values_list("key_id", "calls"))
    assert rows == {acme_key.api_key.pk: 3, second.api_key.pk: 1}
    assert set(ApiDeprecationUsage.objects.values_list("code", "partner_id")) == {("me-route", acme.pk)}
    api.get("/api/v1/me/", **auth(acme_key.key))
    flush_deprecation_usage()
    assert ApiDeprecationUsage.objects.get(key_id=acme_key.api_key.pk).calls == 4


@pytest.fixture
def team(acme):
    for role in ("owner", "developer", "finance"):
        MembershipFactory(partner=acme, role=role, user=UserFactory(email=f"{role}@acme.test"))


def test_partners_that_used_a_deprecation_are_told_once_by_notification_and_email(
    api, acme, acme_key, other, other_key, team, settings, django_capture_on_commit_callbacks
):
    settings.API_DEPRECATIONS = [deprecation_entry()]
    for _ in range(2):
        api.get("/api/v1/me/", **auth(acme_key.key))
    flush_deprecation_usage()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert api_deprecation_notices_send() == 1  # other never called it
    rows = Notification.objects.filter(kind="api.deprecation")
    assert sorted(rows.values_list("recipient__email", flat=True)) == [
        "developer@acme.test",
        "owner@acme.test",
    ]
    assert rows.first().params["calls"] == "2"
    assert rows.first().params["what"] == "GET me/"
    assert sorted(m.to[0] for m in mail.outbox) == ["developer@acme.test", "owner@acme.test"]
    assert "GET me/" in mail.outbox[0].body

    # The next day's run tells nobody again.
    api.get("/api/v1/me/", **auth(acme_key.key))
    flush_deprecation_usage()
    with django_capture_on_commit_callbacks(execute=True):
        api_deprecation_notices_send()
    assert rows.count() == 2
    assert len(mail.outbox) == 2


def test_old_use_and_retired_deprecations_tell_nobody(
    acme, acme_key, settings, django_capture_on_commit_callbacks
):
    settings.API_DEPRECATIONS = [deprecation_entry()]
    old = timezone.localdate() - timedelta(days=settings.API_DEPRECATION_NOTICE_DAYS)
    ApiDeprecationUsage.objects.create(key=acme_key.api_key, partner=acme, day=old, code="me-route", calls=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_deprecation_notices_send() == 0
    settings.API_DEPRECATIONS = [
        deprecation_entry(deprecated="2020-01-01", sunset=(NOW - timedelta(days=1)).isoformat())
    ]
    ApiDeprecationUsage.objects.create(
        key=acme_key.api_key, partner=acme, day=timezone.localdate(), code="me-route", calls=5
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert api_deprecation_notices_send() == 0
    assert not Notification.objects.filter(kind="api.deprecation").exists()
