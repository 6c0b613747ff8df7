"""The OpenAPI schema and docs: every route, the key scheme, error shapes, scopes and security
levels; Swagger UI and Redoc from package assets; schemathesis finds no 5xx and no schema
violation with a partner key."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from .factories import auth

pytestmark = pytest.mark.django_db

CONTRACT = {
    ("get", "/api/v1/me/"): ("read", "A1"),
    ("get", "/api/v1/usage/"): ("read", "A1"),
    ("get", "/api/v1/scenarios/"): ("read", "A1"),
    ("get", "/api/v1/scenarios/{code}/"): ("read", "A1"),
    ("post", "/api/v1/offers/"): ("offers", "A2"),
}


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_has_every_route_with_scope_level_and_errors(openapi):
    assert openapi["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Api-Key <key>`. Keys are issued in the portal (shown once).",
    }
    operations = {
        (method, route): operation
        for route, methods in openapi["paths"].items()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert set(CONTRACT) <= set(operations)
    for (method, route), operation in operations.items():
        assert operation["security"] == [{"ApiKey": []}], route
        assert operation["x-required-scope"] in ("read", "offers", "transactions"), route
        assert operation["x-security-level"] in ("A1", "A2"), route
        assert "JR/T 0185-2020" in operation["description"], route
        for status in ("401", "403", "404", "429"):
            assert operation["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, (route, status)
        if method == "post":
            assert "400" in operation["responses"], route
    for (method, route), (scope, level) in CONTRACT.items():
        assert operations[(method, route)]["x-required-scope"] == scope
        assert operations[(method, route)]["x-security-level"] == level
    list_schema = operations[("get", "/api/v1/scenarios/")]["responses"]["200"]["content"]["application/json"]
    paginated = openapi["components"]["schemas"][list_schema["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"count", "next", "previous", "results"} <= set(paginated["properties"])


@pytest.mark.parametrize(("url", "marker"), [("/api/docs/", "swagger-ui"), ("/api/redoc/", "redoc")])
def test_the_docs_are_served_from_package_assets(client, url, marker):
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert marker in page.lower()
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page


@pytest.fixture
def live_schema(db):
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    # As Django's test client does: the test's transaction must survive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzzing(settings, acme, acme_key):
    settings.API_RATE_BURST = (1_000_000, 1)
    # Schemathesis sends many bad keys on purpose: the per-address limit of failed
    # authentications would answer 429 where it checks for 401 (tested in test_auth_failures).
    settings.API_AUTH_FAILURE_LIMIT = (1_000_000, 300)
    from .test_scenarios import make_scenario

    make_scenario(acme, "travel-finance")
    return acme_key


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_schema, fuzzing):
    """Every operation of the schema, fuzzed with a bounded number of examples (in-process WSGI)."""
    headers = {"Authorization": auth(fuzzing.key)["HTTP_AUTHORIZATION"]}
    operations = [result.ok() for result in live_schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            # A well-formed request may still be refused by a business rule (400 naming the
            # field, e.g. an amount outside the product's range): not a schema violation.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        fuzz()
