"""The portal's Insights page: the member's own partner's funnel (the API's numbers), every
breakdown, charts, both languages, and never another partner's offers; a fixed query count."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revenue.services.funnel import funnel_sales_refresh
from tests.insights.data import SHANGHAI, offer, offers_write, sale
from tests.products.factories import ProductFactory
from tests.scenarios.factories import ScenarioFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


@pytest.fixture
def funnel(acme, other):
    v1 = ScenarioFactory(code="travel-finance", version=1, name="Travel finance", name_zh="出行金融")
    loan = ProductFactory(code="trip-installment")
    mine = [offer(partner=acme, scenario=v1, product=loan, quoted_at=DAY) for _ in range(4)]
    theirs = [offer(partner=other, scenario=v1, product=loan, quoted_at=DAY) for _ in range(7)]
    offers_write(mine + theirs)
    received = DAY + timedelta(days=1)
    sale(mine[0], product=loan, amount="1234.50", received_at=received)
    for row in theirs:
        sale(row, product=loan, amount="5.00", received_at=received)
    funnel_sales_refresh(now=received + timedelta(minutes=1))
    return v1


def test_a_member_sees_its_partners_funnel_only(client, alice, funnel):
    client.force_login(alice)
    response = client.get("/portal/insights/", PERIOD)

    assert response.status_code == 200
    assert response.context["total"]["offers"] == 4
    assert (response.context["total"]["taken"], response.context["total"]["gross_amount"]) == (
        1,
        D("1234.50"),
    )
    html = response.content.decode()
    assert "Travel finance" in html
    assert '<span class="money">1,234.50' in html
    assert "25.00" in html  # conversion 1 of 4
    assert html.count("<svg") >= 2


def test_charlie_sees_his_own_numbers_never_acmes(client, charlie, funnel):
    client.force_login(charlie)
    total = client.get("/portal/insights/", PERIOD).context["total"]

    assert (total["offers"], total["taken"], total["gross_amount"]) == (7, 7, D("35.00"))


@pytest.mark.parametrize("group_by", ["scenario", "version", "product", "segment", "channel", "day"])
def test_every_breakdown_renders(client, victor, funnel, group_by):
    client.force_login(victor)
    response = client.get("/portal/insights/", {**PERIOD, "group_by": group_by})

    assert response.status_code == 200
    assert [r["offers"] for r in response.context["rows"]] == [4]


def test_a_bad_filter_shows_its_error_and_the_default_period(client, alice, funnel):
    client.force_login(alice)
    response = client.get("/portal/insights/", {"date_from": "2026-03-05", "date_to": "2026-03-01"})

    assert response.status_code == 200
    assert "The start must be on or before the end." in response.content.decode()


def test_the_page_is_in_chinese_and_linked_in_the_navigation(client, alice, funnel):
    client.force_login(alice)
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/portal/insights/", PERIOD).content.decode()

    assert "洞察" in html
    assert "出行金融" in html
    assert 'href="/portal/insights/"' in html


def test_the_page_costs_the_same_queries_at_two_sizes(client, alice, acme, funnel, django_assert_num_queries):
    client.force_login(alice)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/portal/insights/", {**PERIOD, "group_by": "version"})
    expected = len(ctx.captured_queries)
    v2 = ScenarioFactory(code="travel-finance", version=2, industry=funnel.industry)
    cover = ProductFactory(code="trip-cover", category="insurance")
    offers_write(
        [
            offer(partner=acme, scenario=v2, product=cover, quoted_at=DAY + timedelta(days=n))
            for n in range(20)
        ]
    )

    with django_assert_num_queries(expected):
        client.get("/portal/insights/", {**PERIOD, "group_by": "version"})
