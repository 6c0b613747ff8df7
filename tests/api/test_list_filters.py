"""The list filters of the open API (django-filter FilterSets read by the strict API fields):
the window and key of ``usage/``, and the answers every filter gives to bad input — the same
JSON body, naming the parameter, as a bad field of a body."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from partners.models import ApiUsage
from partners.selectors import business_today

from .factories import auth, issue

pytestmark = pytest.mark.django_db


def usage_on(key, day: date, endpoint: str = "GET me/") -> None:
    ApiUsage.objects.create(key=key.api_key, partner=key.api_key.partner, day=day, endpoint=endpoint, calls=1)


def days_listed(api, key, query: str = "") -> list[str]:
    response = api.get(f"/api/v1/usage/{query}", **auth(key.key))
    assert response.status_code == 200, response.content
    return [row["day"] for row in response.json()["results"]]


def test_usage_covers_the_last_30_days_up_to_today_unless_asked(api, acme_key):
    today = business_today()
    for back in (0, 30, 31):
        usage_on(acme_key, today - timedelta(days=back))

    assert days_listed(api, acme_key) == [str(today), str(today - timedelta(days=30))]


def test_usage_since_and_until_are_both_inclusive(api, acme_key):
    for day in (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)):
        usage_on(acme_key, day)

    assert days_listed(api, acme_key, "?since=2026-03-02&until=2026-03-03") == ["2026-03-03", "2026-03-02"]


def test_usage_of_one_key_leaves_the_partners_other_keys_out(api, acme, acme_key):
    other_key = issue(acme, name="shop")
    usage_on(acme_key, business_today())
    usage_on(other_key, business_today(), endpoint="GET usage/")

    response = api.get(f"/api/v1/usage/?key={other_key.api_key.prefix}", **auth(acme_key.key))

    assert [row["endpoint"] for row in response.json()["results"]] == ["GET usage/"]


def test_a_bad_filter_value_is_the_one_json_error_naming_the_parameter(api, acme_key):
    response = api.get("/api/v1/usage/?key=", **auth(acme_key.key))

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Invalid input: key.",
            "fields": {"key": ["This field may not be blank."]},
        }
    }


def test_every_bad_filter_is_named_at_once_in_declaration_order(api, acme_key):
    response = api.get("/api/v1/usage/?key=" + "k" * 17 + "&since=yesterday", **auth(acme_key.key))

    assert response.json()["error"]["fields"] == {
        "since": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
        "key": ["Ensure this field has no more than 16 characters."],
    }


def test_a_filter_given_twice_is_refused_before_any_value_is_read(api, acme_key):
    response = api.get("/api/v1/usage/?key=a&key=b&since=yesterday", **auth(acme_key.key))

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"key": ["Give this query parameter once."]}


def test_the_window_rules_are_checked_only_once_each_day_is_readable(api, acme_key):
    response = api.get("/api/v1/usage/?since=2026-05-02&until=2026-05-01", **auth(acme_key.key))
    assert response.json()["error"]["fields"] == {"since": ["“since” is after “until”."]}

    response = api.get("/api/v1/usage/?since=2026-01-01&until=2026-05-01", **auth(acme_key.key))
    assert response.json()["error"]["fields"] == {"since": ["Ask for at most 92 days at a time."]}

    response = api.get("/api/v1/usage/?since=2026-05-02&until=never", **auth(acme_key.key))
    assert set(response.json()["error"]["fields"]) == {"until"}


def test_a_parameter_the_list_does_not_know_is_left_alone(api, acme_key):
    usage_on(acme_key, business_today())

    assert days_listed(api, acme_key, "?colour=red") == [str(business_today())]
