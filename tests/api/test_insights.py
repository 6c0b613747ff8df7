"""``GET insights/funnel/``: the calling partner's own funnel from the roll-up, each breakdown
in the contract's shape, 400 naming a bad parameter, and never another partner's numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from revenue.services.funnel import funnel_sales_refresh
from tests.insights.data import SHANGHAI, offer, offers_write, sale
from tests.products.factories import ProductFactory
from tests.scenarios.factories import ScenarioFactory

from .factories import auth, issue

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)


@pytest.fixture
def funnel(acme, other):
    """acme: 4 offers of v1 (2 taken, one of them refunded and sold again), 1 of v2 in segment
    vip on the next day, 1 try-out; other: 3 offers of v1, all taken."""
    v1 = ScenarioFactory(code="travel-finance", version=1)
    v2 = ScenarioFactory(code="travel-finance", version=2, industry=v1.industry)
    loan = ProductFactory(code="trip-installment")
    cover = ProductFactory(code="trip-cover", category="insurance")
    mine = [offer(partner=acme, scenario=v1, product=loan, quoted_at=DAY) for _ in range(3)]
    mine.append(offer(partner=acme, scenario=v1, product=cover, quoted_at=DAY))
    mine.append(
        offer(partner=acme, scenario=v2, product=loan, quoted_at=DAY + timedelta(days=1), segment="vip")
    )
    mine.append(offer(partner=acme, scenario=v1, product=loan, quoted_at=DAY, tryout=True, channel="portal"))
    theirs = [offer(partner=other, scenario=v1, product=loan, quoted_at=DAY) for _ in range(3)]
    offers_write(mine + theirs)
    received = DAY + timedelta(days=2)
    first = sale(mine[0], product=loan, amount="1000.00", received_at=received)
    sale(mine[0], product=loan, amount="1000.00", kind="refund", refund_of=first, received_at=received)
    sale(mine[0], product=loan, amount="700.00", received_at=received)
    sale(mine[3], product=cover, amount="50.50", received_at=received)
    for row in theirs:
        sale(row, product=loan, amount="9999.00", received_at=received)
    funnel_sales_refresh(now=received + timedelta(minutes=1))
    return {"v1": v1, "v2": v2}


def get(api, key, query=""):
    return api.get(f"/api/v1/insights/funnel/{query}", **auth(key.key))


def test_by_scenario_the_partner_sees_its_own_offers_taken_conversion_and_net_gross(api, acme_key, funnel):
    response = get(api, acme_key, "?since=2026-03-01&until=2026-03-31")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "results": [
            {
                "scenario": "travel-finance",
                "offers": 5,
                "taken": 2,
                "conversion": "0.4000",
                "gross_amount": "750.50",
            }
        ]
    }


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        (
            "version",
            [
                {
                    "scenario": "travel-finance",
                    "version": 1,
                    "offers": 4,
                    "taken": 2,
                    "conversion": "0.5000",
                    "gross_amount": "750.50",
                },
                {
                    "scenario": "travel-finance",
                    "version": 2,
                    "offers": 1,
                    "taken": 0,
                    "conversion": "0.0000",
                    "gross_amount": "0.00",
                },
            ],
        ),
        (
            "product",
            [
                {
                    "product": "trip-cover",
                    "offers": 1,
                    "taken": 1,
                    "conversion": "1.0000",
                    "gross_amount": "50.50",
                },
                {
                    "product": "trip-installment",
                    "offers": 4,
                    "taken": 1,
                    "conversion": "0.2500",
                    "gross_amount": "700.00",
                },
            ],
        ),
        (
            "segment",
            [
                {
                    "segment": "standard",
                    "offers": 4,
                    "taken": 2,
                    "conversion": "0.5000",
                    "gross_amount": "750.50",
                },
                {"segment": "vip", "offers": 1, "taken": 0, "conversion": "0.0000", "gross_amount": "0.00"},
            ],
        ),
        (
            "channel",
            [{"channel": "api", "offers": 5, "taken": 2, "conversion": "0.4000", "gross_amount": "750.50"}],
        ),
        (
            "day",
            [
                {
                    "day": "2026-03-02",
                    "offers": 4,
                    "taken": 2,
                    "conversion": "0.5000",
                    "gross_amount": "750.50",
                },
                {
                    "day": "2026-03-03",
                    "offers": 1,
                    "taken": 0,
                    "conversion": "0.0000",
                    "gross_amount": "0.00",
                },
            ],
        ),
    ],
)
def test_every_breakdown_has_the_contract_shape(api, acme_key, funnel, group_by, expected):
    response = get(api, acme_key, f"?since=2026-03-01&until=2026-03-31&group_by={group_by}")

    assert response.json() == {"results": expected}


def test_another_partners_numbers_never_appear(api, other_key, acme_key, funnel):
    theirs = get(api, other_key, "?since=2026-03-01&until=2026-03-31&group_by=version").json()
    mine = get(api, acme_key, "?since=2026-03-01&until=2026-03-31&group_by=version").json()

    assert theirs == {
        "results": [
            {
                "scenario": "travel-finance",
                "version": 1,
                "offers": 3,
                "taken": 3,
                "conversion": "1.0000",
                "gross_amount": "29997.00",
            }
        ]
    }
    assert sum(r["offers"] for r in mine["results"]) == 5


def test_the_period_and_the_scenario_narrow_the_rows(api, acme_key, funnel):
    assert get(api, acme_key, "?since=2026-03-03&until=2026-03-03").json()["results"][0]["offers"] == 1
    assert get(api, acme_key, "?since=2026-03-01&until=2026-03-31&scenario=other-code").json() == {
        "results": []
    }


def test_a_partner_without_offers_gets_no_rows(api, acme_key):
    assert get(api, acme_key).json() == {"results": []}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?group_by=partner", "group_by"),
        ("?group_by=", "group_by"),
        ("?since=yesterday", "since"),
        ("?until=2026-13-01", "until"),
        ("?since=2026-03-05&until=2026-03-01", "since"),
        ("?since=2020-01-01&until=2026-03-01", "since"),
        ("?scenario=not%20a%20slug", "scenario"),
        ("?group_by=day&group_by=scenario", "group_by"),
    ],
)
def test_a_bad_query_value_is_a_400_naming_the_parameter(api, acme_key, query, field):
    response = get(api, acme_key, query)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_a_key_with_only_the_read_scope_may_read_it_and_no_key_may_not(api, acme):
    reader = issue(acme, scopes=("read",), name="BI")

    assert get(api, reader).status_code == 200
    assert api.get("/api/v1/insights/funnel/").status_code == 401
