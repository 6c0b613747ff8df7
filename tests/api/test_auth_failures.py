"""Failed API authentications are limited per client address: past the limit a refused key
answers 429 with Retry-After; a valid key pays nothing for the limit and is never refused by it."""

from __future__ import annotations

import pytest

from .factories import auth

pytestmark = pytest.mark.django_db

UNKNOWN = "fnk_AAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"


@pytest.fixture
def limit(settings):
    settings.API_AUTH_FAILURE_LIMIT = (3, 60)


def get_me(api, key: str, address: str = "203.0.113.5"):
    return api.get("/api/v1/me/", REMOTE_ADDR=address, **auth(key))


def test_it_answers_429_with_retry_after_past_the_failure_limit(api, acme_key, limit):
    statuses = [get_me(api, UNKNOWN).status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    response = get_me(api, UNKNOWN)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["error"]["code"] == "throttled"
    assert "failed authentications" in body["error"]["message"]


def test_wrong_secrets_revoked_and_malformed_keys_all_count(api, acme_key, limit):
    forged = acme_key.api_key.prefix + "." + "A" * 40
    get_me(api, forged)
    api.get("/api/v1/me/", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer nope")
    get_me(api, "not-a-key")

    assert get_me(api, UNKNOWN).status_code == 429


def test_the_limit_is_per_client_address(api, acme_key, limit):
    for _ in range(4):
        get_me(api, UNKNOWN, address="203.0.113.5")

    assert get_me(api, UNKNOWN, address="198.51.100.9").status_code == 401


def test_a_valid_key_from_a_limited_address_still_works_and_costs_no_query(
    api, acme_key, limit, django_assert_num_queries
):
    get_me(api, acme_key.key)  # its record is now cached
    for _ in range(4):
        get_me(api, UNKNOWN)

    with django_assert_num_queries(0):
        assert get_me(api, acme_key.key).status_code == 200


def test_requests_without_a_key_do_not_count(api, limit):
    for _ in range(5):
        assert api.get("/api/v1/me/", REMOTE_ADDR="203.0.113.5").status_code == 401
