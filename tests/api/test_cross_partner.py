"""A generated sweep over every open API route and method: another partner's objects are
never reachable (404, answered exactly as for an object that does not exist) and never appear
in a list.

Routes come from the URL resolver, so a route added later is swept automatically. A route
with a path parameter needs an entry in ``OTHER_PARTNERS_OBJECT`` (how to make an object of
the other partner and the value that names it in the URL), a write route needs one in
``WRITE_BODIES`` (a body that refers to the other partner's objects): the sweep fails naming
what is missing until the route is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver

from partners.models import ApiUsage
from portal.api import v1_patterns

from .factories import auth
from .test_scenarios import make_scenario

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def v1_routes() -> Iterator[tuple[str, type]]:
    """(route template under /api/v1/, view class) for every v1 route."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback.view_class

    yield from walk(v1_patterns)


def _usage_of(partner, key) -> str:
    from django.utils import timezone

    ApiUsage.objects.create(
        key=key, partner=partner, day=timezone.localdate(), endpoint="GET secret-route-of-other/", calls=7
    )
    return "secret-route-of-other"


REVENUE_DAY = date(2026, 1, 15)


def _consent_of(partner, *, consent_id: str) -> None:
    from django.utils import timezone

    from core.secrets import customer_reference
    from scenarios.models import Consent

    now = timezone.now()
    Consent.objects.create(
        partner=partner,
        consent_id=consent_id,
        customer_ref=customer_reference(partner_id=partner.pk, customer_id="cust-1"),
        purposes=["marketing"],
        granted_at=now,
        first_seen_at=now,
        last_seen_at=now,
    )


def _revenue_of(partner, scenario, staff_roles) -> dict:
    """An agreement in force, a transaction and a settled statement of ``partner``."""
    from portal import roles
    from revenue.models import Statement
    from revenue.services import settlement_start
    from tests.revenue.factories import agreement_in_force, finance_staff, item, record

    maker = finance_staff(staff_roles, "maker@bank.test", roles.FINANCE_MAKERS)
    checker = finance_staff(staff_roles, "checker@bank.test", roles.FINANCE_CHECKERS)
    agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    result = record(
        partner,
        item(
            scenario=scenario.code, product="mall-credit-line", external_id="other-secret-tx", day=REVENUE_DAY
        ),
    )
    settlement_start(through=date(2026, 1, 31), trigger="command")
    return {
        "transaction_id": result.results[0][1],
        "statement_id": Statement.objects.get(agreement__partner=partner).pk,
    }


# route template → (URL kwargs naming an object of the other partner, from ``other_data``;
#                   URL kwargs naming nothing at all)
OTHER_PARTNERS_OBJECT: dict[str, tuple[Callable[[dict], dict], dict]] = {
    "scenarios/<str:code>/": (lambda data: {"code": data["scenario"]}, {"code": "no-such-scenario"}),
    "transactions/<int:transaction_id>/": (
        lambda data: {"transaction_id": data["transaction_id"]},
        {"transaction_id": 987654321},
    ),
    "statements/<int:statement_id>/": (
        lambda data: {"statement_id": data["statement_id"]},
        {"statement_id": 987654321},
    ),
}

# route template → body of a write that refers to the scenario ``code``.
WRITE_BODIES: dict[str, Callable[[str], dict]] = {
    "offers/": lambda code: {"scenario": code, "event": "booking.created", "amount": "100.00"},
    # The other partner holds a consent whose id is its scenario's code (``other_data``).
    "consents/withdraw/": lambda code: {"customer_ref": "cust-1", "consent_id": code},
    "transactions/": lambda code: {
        "transactions": [
            {
                "external_id": "acme-into-other",
                "scenario": code,
                "product": "mall-credit-line",
                "kind": "sale",
                "amount": "10.00",
                "currency": "CNY",
                "occurred_at": "2026-01-15T10:00:00+08:00",
            }
        ]
    },
}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.API_RATE_BURST = (100_000, 1)


@pytest.fixture
def other_data(other, other_key, staff_roles) -> dict:
    """Objects of the other partner behind every route; the strings that identify them."""
    scenario = make_scenario(other, "mall-credit", products=(("mall-credit-line", "consumer_credit"),))
    _consent_of(other, consent_id=scenario.code)
    return {
        "scenario": scenario.code,
        "usage": _usage_of(other, other_key.api_key),
        "slug": other.slug,
        "key": other_key.api_key.prefix,
        "external_id": "other-secret-tx",
        **_revenue_of(other, scenario, staff_roles),
    }


MARKERS = ("scenario", "usage", "slug", "key", "external_id")


def _call(api, method: str, url: str, key: str, body=None):
    kwargs = {"format": "json"} if method != "get" else {}
    return getattr(api, method)(
        url, body if body is not None else ({} if method != "get" else None), **kwargs, **auth(key)
    )


def _implements(view_class, method: str) -> bool:
    return hasattr(view_class, method)


def test_the_sweep_covers_every_route_of_the_contract():
    routes = {route for route, _view in v1_routes()}
    assert {"me/", "usage/", "scenarios/", "scenarios/<str:code>/", "offers/"} <= routes


def test_another_partners_objects_are_404_on_every_route_and_method(
    api, acme_key, other, other_key, other_data
):
    missing = []
    for route, view_class in v1_routes():
        if "<" not in route:
            continue
        if route not in OTHER_PARTNERS_OBJECT:
            missing.append(route)
            continue
        make, nothing = OTHER_PARTNERS_OBJECT[route]
        theirs = make(other_data)
        for method in METHODS:
            url_theirs = "/api/v1/" + _fill(route, theirs)
            url_nothing = "/api/v1/" + _fill(route, nothing)
            answer = _call(api, method, url_theirs, acme_key.key)
            expected = _call(api, method, url_nothing, acme_key.key)
            assert (answer.status_code, answer.json()) == (expected.status_code, expected.json()), (
                method,
                route,
            )
            assert answer.status_code == (404 if _implements(view_class, method) else 405), (method, route)
            # The owner reaches it: the object really exists.
            if method == "get":
                assert _call(api, "get", url_theirs, other_key.key).status_code == 200, route
    assert not missing, f"register these routes in OTHER_PARTNERS_OBJECT: {missing}"


def test_lists_never_show_another_partners_objects(api, acme_key, other_data):
    markers = [other_data[name] for name in MARKERS]
    for route, view_class in v1_routes():
        if "<" in route or not _implements(view_class, "get"):
            continue
        response = _call(api, "get", "/api/v1/" + route, acme_key.key)
        assert response.status_code == 200, route
        text = response.content.decode()
        leaked = [m for m in markers if m in text]
        assert not leaked, (route, leaked)


def test_writes_referring_to_another_partners_objects_are_refused_as_if_missing(api, acme_key, other_data):
    """Refused (4xx, nothing written) exactly as a reference to nothing at all is."""
    missing = []
    theirs, nothing = other_data["scenario"], "no-such-scenario"
    for route, view_class in v1_routes():
        if "<" in route:
            continue
        for method in ("post", "put", "patch"):
            if not _implements(view_class, method):
                continue
            if route not in WRITE_BODIES:
                missing.append(route)
                continue
            url = "/api/v1/" + route
            answer = _call(api, method, url, acme_key.key, WRITE_BODIES[route](theirs))
            expected = _call(api, method, url, acme_key.key, WRITE_BODIES[route](nothing))
            assert answer.status_code in (400, 404), (method, route, answer.content)
            assert answer.status_code == expected.status_code, (method, route)
            assert answer.content.decode().replace(theirs, "?") == expected.content.decode().replace(
                nothing, "?"
            )
    assert not missing, f"register these write routes in WRITE_BODIES: {missing}"


def _fill(route: str, kwargs: dict) -> str:
    import re

    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route)
