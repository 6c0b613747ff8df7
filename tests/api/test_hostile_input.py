"""Hostile input never reaches a 500, and everything under /api/ answers JSON: unknown paths and
methods, CSRF-free writes, oversized and deeply nested bodies, NUL bytes, wrong JSON types,
OPTIONS, dates out of range, repeated and malformed paging parameters; money in requests is a
string of ASCII digits with at most two decimals; times are within 1970–2100 with whole-minute
offsets, and times go out as valid RFC 3339."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework import serializers

from core.api import ApiDateTimeField, MoneyField, datetime_format, datetime_parse, money_parse

from .factories import auth, issue
from .test_scenarios import make_scenario

pytestmark = pytest.mark.django_db

WRITES = ("post", "put", "patch", "delete")


@pytest.fixture
def browser():
    """A client that checks CSRF as a browser's request is checked."""
    return Client(enforce_csrf_checks=True)


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/nope", "/api/v1/", "/api/v2/transactions/"])
def test_a_write_to_an_unknown_api_path_is_a_json_404_not_the_csrf_page(browser, method, path):
    assert_json_error(getattr(browser, method)(path), 404, "not_found")


@pytest.mark.parametrize(
    "path", ["/api/v1/statements/%0A~/", "/api/v1/%0A", "/api/%C2%93%0A", "/api/v1/me/%00/", "/api/v1/me\n"]
)
def test_an_api_path_with_control_characters_is_a_json_404(browser, acme_key, path):
    assert_json_error(browser.get(path, **auth(acme_key.key)), 404, "not_found")


def test_pages_keep_their_html_404_and_500(client, rf):
    from core.errors import server_error

    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
    assert server_error(rf.get("/portal/"))["Content-Type"].startswith("text/html")
    api_error = server_error(rf.get("/api/v1/me/"))
    assert (api_error.status_code, json.loads(api_error.content)["error"]["code"]) == (500, "server_error")


@pytest.mark.parametrize("method", ["get", *WRITES])
def test_the_bare_api_path_is_a_json_404_whatever_the_method(browser, settings, method):
    settings.DEBUG = True  # with DEBUG on, a slash-appending redirect of a POST is an HTML 500

    assert_json_error(getattr(browser, method)("/api"), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_a_wrong_method_on_the_schema_and_docs_is_a_json_405(browser, path):
    assert_json_error(browser.post(path), 405, "method_not_allowed")


def test_a_method_a_route_does_not_take_is_a_json_405_with_allow(browser, acme_key):
    response = browser.put("/api/v1/me/", **auth(acme_key.key))

    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("path", ["/api/v1/transactions/", "/api/v1/offers/", "/api/v1/me/"])
def test_options_with_a_key_holding_the_write_scope_describes_the_route(api, acme_key, path):
    response = api.options(path, **auth(acme_key.key))

    assert response.status_code == 200
    body = response.json()
    assert "OPTIONS" in body["methods"]
    assert body["parses"] == ["application/json"]
    assert body["schema"] == "/api/schema/"


def test_a_body_over_the_size_limit_is_a_json_413(api, acme_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"transactions": [{"external_id": "x" * 2000}]})

    response = api.post("/api/v1/transactions/", body, content_type="application/json", **auth(acme_key.key))

    assert_json_error(response, 413, "request_too_large")


@pytest.mark.parametrize("depth", [40, 100_000])
def test_json_nested_too_deeply_is_a_400(api, acme_key, depth):
    body = "[" * depth + "]" * depth

    response = api.post("/api/v1/offers/", body, content_type="application/json", **auth(acme_key.key))

    assert "nested" in assert_json_error(response, 400, "invalid")["message"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_a_400(api, acme_key, constant):
    body = '{"scenario": "travel-finance", "event": "booking.created", "amount": ' + constant + "}"

    response = api.post("/api/v1/offers/", body, content_type="application/json", **auth(acme_key.key))

    assert_json_error(response, 400, "invalid")


def test_a_body_that_is_not_json_is_a_json_415(api, acme_key):
    response = api.post("/api/v1/offers/", "amount=1", content_type="text/plain", **auth(acme_key.key))

    assert_json_error(response, 415, "unsupported_media_type")


def test_asking_for_anything_but_json_is_a_json_406(api, acme_key):
    assert_json_error(
        api.get("/api/v1/me/", HTTP_ACCEPT="text/html", **auth(acme_key.key)), 406, "not_acceptable"
    )


def offer(api, key, **fields):
    body = {"scenario": "travel-finance", "event": "booking.created", "amount": "8000.00", **fields}
    return api.post("/api/v1/offers/", body, format="json", **auth(key))


@pytest.mark.parametrize("field", ["scenario", "event", "segment", "currency"])
@pytest.mark.parametrize("value", ["tra\x00vel", ["travel"], {"code": "travel"}])
def test_a_nul_byte_or_a_list_or_object_where_a_string_belongs_is_a_400_naming_the_field(
    api, acme_key, field, value
):
    error = assert_json_error(offer(api, acme_key.key, **{field: value}), 400, "invalid")

    assert set(error["fields"]) == {field}


@pytest.mark.parametrize(
    "amount",
    [
        1e3,
        12.5,
        1000,
        "1e3",
        "1E-2",
        "1_000.00",
        "١٠٠.٠٠",
        "１００.００",
        "NaN",
        "Infinity",
        "-Infinity",
        "12.345",
        " 12.50",
        "12.50\n",
        "+12.50",
        "12.",
        ".5",
        "0x10",
        "",
        True,
        None,
        ["12.50"],
        {"value": "12.50"},
        "-12.50",
        "0.00",
        "1000000000000.00",
    ],
)
def test_money_that_is_not_a_string_of_ascii_digits_with_two_decimals_is_a_400_naming_the_field(
    api, acme_key, amount
):
    error = assert_json_error(offer(api, acme_key.key, amount=amount), 400, "invalid")

    assert set(error["fields"]) == {"amount"}


@pytest.mark.parametrize("amount", ["8000", "8000.5", "8000.50", "0.01", "999999999999.99"])
def test_money_as_digits_with_at_most_two_decimals_is_read_exactly(amount):
    assert money_parse(amount) == Decimal(amount)


def test_a_negative_amount_is_refused_where_it_is_not_allowed_and_read_where_it_is():
    with pytest.raises(serializers.ValidationError, match="cannot be negative"):
        money_parse("-1.00")
    assert money_parse("-1.00", minimum=None) == Decimal("-1.00")
    assert MoneyField(signed=True).run_validation("-12.50") == Decimal("-12.50")


def test_money_goes_out_with_two_decimals_and_no_exponent_however_large():
    field = MoneyField(signed=True)

    assert field.to_representation(Decimal("-40")) == "-40.00"
    assert field.to_representation(Decimal("1E+14")) == "100000000000000.00"
    assert field.to_representation(Decimal("12345678901234567.5")) == "12345678901234567.50"


def test_an_offer_with_a_tenor_beyond_the_products_bound_is_a_400_naming_it(api, acme, acme_key):
    make_scenario(acme, "travel-finance")

    error = assert_json_error(offer(api, acme_key.key, tenor_months=61), 400, "invalid")

    assert set(error["fields"]) == {"tenor_months"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0001-01-01T00:00:00+08:00", "year"),
        ("1969-12-31T23:59:59Z", "year"),
        ("2101-01-01T00:00:00Z", "year"),
        ("9999-12-31T23:59:59+14:00", "year"),
        ("2026-01-15T10:00:00+08:05:43", "whole minutes"),
        ("2026-01-15T10:00:00+08:00:00.5", "whole minutes"),
        ("2026-01-15", "ISO 8601"),
        ("0001-01-01Z", "ISO 8601"),
        ("2026-01-15T10:00:00+08:00\x00", "ISO 8601"),
        ("２０２６-01-15T10:00:00+08:00", "ISO 8601"),
        (1768442400, "ISO 8601"),
        (["2026-01-15T10:00:00+08:00"], "ISO 8601"),
    ],
)
def test_a_time_outside_1970_to_2100_or_with_a_part_minute_offset_is_refused(value, reason):
    with pytest.raises(serializers.ValidationError, match=reason):
        datetime_parse(value)


def test_a_time_within_range_keeps_its_instant():
    parsed = datetime_parse("1970-01-01T00:00:00+08:00")

    assert parsed.astimezone(UTC) == datetime(1969, 12, 31, 16, tzinfo=UTC)
    assert datetime_parse("2100-12-31T23:59:59-05:30").year == 2100


def test_times_go_out_as_rfc_3339_in_beijing_time_or_utc_where_the_offset_had_seconds():
    assert datetime_format(datetime(2026, 1, 15, 2, tzinfo=UTC)) == "2026-01-15T10:00:00+08:00"
    # Before 1901 Asia/Shanghai is local mean time, +08:05:43: not RFC 3339.
    assert datetime_format(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
    assert (
        ApiDateTimeField().to_representation(datetime(1900, 6, 1, 12, tzinfo=UTC)) == "1900-06-01T12:00:00Z"
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("until=0001-01-05", "until"),
        ("since=0001-01-05&until=0001-01-06", "since"),
        ("until=9999-12-31", "until"),
        ("until=2026-01-05&until=2026-01-06", "until"),
        ("key=", "key"),
        ("since=2026-01-01&until=2026-12-31", "since"),
    ],
)
def test_usage_with_a_bad_window_is_a_400_naming_the_field(api, acme_key, query, field):
    error = assert_json_error(api.get(f"/api/v1/usage/?{query}", **auth(acme_key.key)), 400, "invalid")

    assert field in error["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=null", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=١٠", "page_size"),
        ("page_size=10&page_size=20", "page_size"),
        ("page=0", "page"),
        ("page=last", "page"),
        ("page=99999999999999999999", "page"),
        ("scenario=", "scenario"),
        ("occurred_after=0001-01-01T00:00:00Z", "occurred_after"),
    ],
)
def test_a_malformed_list_parameter_is_a_400_naming_it_not_silently_replaced(api, acme_key, query, field):
    error = assert_json_error(api.get(f"/api/v1/transactions/?{query}", **auth(acme_key.key)), 400, "invalid")

    assert field in error["fields"]


def test_a_page_past_the_end_is_a_404(api, acme_key):
    assert_json_error(api.get("/api/v1/scenarios/?page=2", **auth(acme_key.key)), 404)


def test_a_read_only_key_is_still_refused_a_write_after_options(api, acme):
    reader = issue(acme, scopes=("read",), name="reader")

    assert api.options("/api/v1/transactions/", **auth(reader.key)).status_code == 200
    assert_json_error(
        api.post("/api/v1/transactions/", {"transactions": []}, format="json", **auth(reader.key)), 403
    )


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-15T10:00:00+08:00",
        "2026-01-15T10:00Z",
        "2026-01-15 10:00:00.123456789-03:30",
        "2026-01-15T10:00:00",
    ],
)
def test_an_rfc_3339_time_is_read(value):
    assert datetime_parse(value).tzinfo is not None
