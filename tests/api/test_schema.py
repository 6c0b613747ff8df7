"""The OpenAPI schema and docs: every route, the key scheme, error shapes, scopes and security
levels; Swagger UI and Redoc from package assets; schemathesis finds no 5xx and no schema
violation with a partner key."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from products.terms import MAX_TENOR, MIN_TENOR

from .factories import auth

pytestmark = pytest.mark.django_db

CONTRACT = {
    ("get", "/api/v1/me/"): ("read", "A1"),
    ("get", "/api/v1/usage/"): ("read", "A1"),
    ("get", "/api/v1/scenarios/"): ("read", "A1"),
    ("get", "/api/v1/scenarios/{code}/"): ("read", "A1"),
    ("post", "/api/v1/offers/"): ("offers", "A2"),
    ("post", "/api/v1/consents/withdraw/"): ("offers", "A2"),
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


def operations_of(openapi) -> dict:
    return {
        (method, route): operation
        for route, methods in openapi["paths"].items()
        for method, operation in methods.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_operation_documents_every_error_status_it_can_answer(openapi):
    for (method, route), operation in operations_of(openapi).items():
        statuses = set(operation["responses"])
        assert {"401", "403", "404", "405", "406", "429"} <= statuses, (method, route)
        if method == "post":
            assert {"400", "413", "415"} <= statuses, route
        for status in statuses - {"200", "201"}:
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, route, status)
    operations = operations_of(openapi)
    assert "409" in operations[("post", "/api/v1/transactions/")]["responses"]
    assert "409" not in operations[("get", "/api/v1/transactions/")]["responses"]
    for route in ("/api/v1/transactions/", "/api/v1/usage/", "/api/v1/statements/", "/api/v1/scenarios/"):
        assert "400" in operations[("get", route)]["responses"], route  # filters, page, page_size


def test_the_schema_states_signs_limits_and_enums_as_the_api_applies_them(openapi):
    schemas = openapi["components"]["schemas"]
    for name, fields in {
        "Statement": ("gross_amount", "share_amount", "adjustment_amount"),
        "StatementLine": ("gross_amount", "share_amount"),
    }.items():
        for field in fields:
            assert schemas[name]["properties"][field]["pattern"] == r"^-?[0-9]+\.[0-9]{2}$", (name, field)
    assert schemas["Transaction"]["properties"]["amount"]["pattern"] == r"^[0-9]+\.[0-9]{2}$"
    for name in ("TransactionItemRequest", "OfferRequestRequest"):
        assert schemas[name]["properties"]["amount"]["pattern"] == r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
    batch = schemas["TransactionBatchRequest"]["properties"]["transactions"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 1000)
    tenor = schemas["OfferRequestRequest"]["properties"]["tenor_months"]
    assert (tenor["minimum"], tenor["maximum"]) == (MIN_TENOR, MAX_TENOR)
    assert schemas["TransactionKindEnum"]["enum"] == ["sale", "refund"]
    assert schemas["StatementLineKindEnum"]["enum"] == ["sale", "refund", "adjustment", "reward"]
    assert schemas["StatementStatusEnum"]["enum"] == ["draft", "approved", "paid"]
    assert set(schemas["AgreementStatusEnum"]["enum"]) == {"active", "superseded"}
    usage = {p["name"]: p for p in operations_of(openapi)[("get", "/api/v1/usage/")]["parameters"]}
    assert "at most 92 days" in usage["since"]["description"]
    assert usage["since"]["schema"]["format"] == "date"
    assert (usage["page_size"]["schema"]["minimum"], usage["page_size"]["schema"]["maximum"]) == (1, 200)


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
