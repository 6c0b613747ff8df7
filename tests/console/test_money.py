"""The money figures of the dashboard and the scenario funnel, against hand-computed numbers.

Skyway sells in the travel scenario (two products, 30 % share, monthly statements):
January: c1 buys both products (100 + 50), c2 buys one (200) and gets 20 back; February: c3
buys one (300). 10 offer requests quoted in January, 5 in February. January is settled.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console.models import ScenarioCustomersMonthly, TransactionDaily
from console.services.rollups import transaction_rollup_refresh
from revenue.periods import Period
from revenue.services.settlement import statement_generate
from scenarios.models import OfferQuoteDaily
from tests.console.factories import ledger_row, shanghai
from tests.factories import IndustryFactory, PartnerFactory
from tests.revenue.factories import agreement_in_force, finance_staff, join, scenario_with_products

PERIOD = {"date_from": "2026-01-01", "date_to": "2026-02-28"}


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=shanghai(date(2026, 3, 10)).tzinfo)):
        yield


@pytest.fixture
def travel(db, staff_roles, clock):
    industry = IndustryFactory(code="travel", name="Travel")
    scenario, (installment, cover) = scenario_with_products()
    skyway = PartnerFactory(slug="skyway", display_name="Skyway", industry=industry)
    join(skyway, scenario)
    agreement = agreement_in_force(
        maker=finance_staff(staff_roles, "maker@bank.example", "Finance makers"),
        checker=finance_staff(staff_roles, "checker@bank.example", "Finance checkers"),
        partner=skyway,
        scenario=scenario,
    )
    ledger_row(
        skyway, scenario, installment, when=shanghai(date(2026, 1, 10)), amount="100.00", customer="c1"
    )
    ledger_row(skyway, scenario, cover, when=shanghai(date(2026, 1, 11)), amount="50.00", customer="c1")
    ledger_row(
        skyway, scenario, installment, when=shanghai(date(2026, 1, 12)), amount="200.00", customer="c2"
    )
    ledger_row(
        skyway,
        scenario,
        installment,
        when=shanghai(date(2026, 1, 13)),
        amount="20.00",
        kind="refund",
        customer="c2",
    )
    ledger_row(skyway, scenario, installment, when=shanghai(date(2026, 2, 2)), amount="300.00", customer="c3")
    OfferQuoteDaily.objects.create(
        partner=skyway, scenario=scenario, day=date(2026, 1, 10), quotes=10, offers=20
    )
    OfferQuoteDaily.objects.create(
        partner=skyway, scenario=scenario, day=date(2026, 2, 1), quotes=5, offers=10
    )
    statement_generate(agreement_id=agreement.pk, period=Period(date(2026, 1, 1), date(2026, 1, 31)))
    transaction_rollup_refresh(start=date(2026, 1, 1), end=date(2026, 2, 28))
    return {"scenario": scenario, "skyway": skyway, "industry": industry}


def test_the_rollup_counts_each_day_product_and_kind(travel):
    rows = {
        (r.day, r.product.code, r.kind): (r.count, r.amount)
        for r in TransactionDaily.objects.select_related("product")
    }
    assert rows == {
        (date(2026, 1, 10), "trip-installment", "sale"): (1, Decimal("100.00")),
        (date(2026, 1, 11), "trip-cover", "sale"): (1, Decimal("50.00")),
        (date(2026, 1, 12), "trip-installment", "sale"): (1, Decimal("200.00")),
        (date(2026, 1, 13), "trip-installment", "refund"): (1, Decimal("20.00")),
        (date(2026, 2, 2), "trip-installment", "sale"): (1, Decimal("300.00")),
    }
    months = {(r.month, r.customers, r.cross_sell_customers) for r in ScenarioCustomersMonthly.objects.all()}
    assert months == {(date(2026, 1, 1), 2, 1), (date(2026, 2, 1), 1, 0)}


def test_a_rebuild_gives_the_same_rows(travel):
    before = sorted(TransactionDaily.objects.values_list("day", "product_id", "kind", "count", "amount"))
    transaction_rollup_refresh(start=date(2026, 1, 1), end=date(2026, 2, 28))
    assert (
        sorted(TransactionDaily.objects.values_list("day", "product_id", "kind", "count", "amount")) == before
    )


def test_money_per_month(staff_client, travel):
    rows = staff_client.get("/staff/", PERIOD).context["by_month"]
    assert [(r["month"], r["sales"], r["refunds"], r["gross"], r["share"]) for r in rows] == [
        (date(2026, 1, 1), 3, 1, Decimal("330.00"), Decimal("99.00")),
        (date(2026, 2, 1), 1, 0, Decimal("300.00"), Decimal("0.00")),
    ]


def test_money_per_scenario_and_partner(staff_client, travel):
    context = staff_client.get("/staff/", PERIOD).context
    [scenario] = context["by_scenario"]
    assert (scenario["scenario_code"], scenario["sales"], scenario["gross"], scenario["share"]) == (
        "travel-finance",
        4,
        Decimal("630.00"),
        Decimal("99.00"),
    )
    [partner] = context["by_partner"]
    assert (partner["partner__display_name"], partner["gross"], partner["share"]) == (
        "Skyway",
        Decimal("630.00"),
        Decimal("99.00"),
    )
    assert [(r["period_start"], r["draft"], r["approved"]) for r in context["settlement"]] == [
        (date(2026, 1, 1), 1, 0)
    ]


def test_the_scenario_filter_excludes_other_scenarios(staff_client, travel):
    context = staff_client.get("/staff/", {**PERIOD, "scenario": "another"}).context
    assert context["by_scenario"] == []
    assert context["by_month"] == []


def test_partner_users_cannot_export(client, alice):
    client.force_login(alice)
    assert client.get("/staff/funnel/", {"export": "csv"}).status_code == 403


def test_money_pages_cost_the_same_queries_at_two_sizes(staff_client, travel, django_assert_num_queries):
    counts = {}
    for url in ("/staff/",):  # the funnel: tests/console/test_funnel.py
        with CaptureQueriesContext(connection) as ctx:
            staff_client.get(url, PERIOD)
        counts[url] = len(ctx.captured_queries)
    scenario, skyway = travel["scenario"], travel["skyway"]
    products = [item.product for item in scenario.items.all()]
    for n in range(30):
        ledger_row(
            skyway, scenario, products[n % 2], when=shanghai(date(2026, 1, 1 + n % 28)), customer=f"x{n}"
        )
    other = PartnerFactory(slug="oasis", industry=travel["industry"])
    ledger_row(other, scenario, products[0], when=shanghai(date(2026, 2, 3)))
    transaction_rollup_refresh(start=date(2026, 1, 1), end=date(2026, 2, 28))
    for url, expected in counts.items():
        with django_assert_num_queries(expected):
            assert staff_client.get(url, PERIOD).status_code == 200


def test_the_rollup_command_rebuilds_and_scans(travel):
    from io import StringIO

    from django.core.management import call_command

    TransactionDaily.objects.all().delete()
    out = StringIO()
    call_command("console_rollup", "--from", "2026-01-01", "--to", "2026-02-28", "--scan", stdout=out)
    assert TransactionDaily.objects.count() == 5
    assert out.getvalue().startswith("roll-ups rebuilt for 2026-01-01..2026-02-28: 5 day rows, 2 months")


def test_money_figures_link_to_the_records_behind_them(client, travel):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="root@bank.example", is_staff=True, is_superuser=True))
    context = client.get("/staff/", PERIOD).context
    links = [
        context["by_scenario"][0]["link"],
        context["by_partner"][0]["link"],
        context["settlement"][0]["link"],
    ]
    assert links[0] == (
        "/admin/revenue/transaction/?scenario_code=travel-finance&occurred_on__gte=2026-01-01&occurred_on__lte=2026-02-28"
    )
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link
        assert "?e=1" not in response.get("Location", "")
    assert client.get(links[0]).context["cl"].result_count == 5


NBSP = "\N{NO-BREAK SPACE}"


def visible_text(page: str) -> str:
    """What a reader sees: no charts' coordinates, no markup."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", " ", page, flags=re.S))


def test_the_dashboard_shows_exact_money_in_both_languages(staff_client, travel):
    """Amounts binary floating point gets wrong: a plain SQLite Sum showed 964385.209999999."""
    scenario, skyway = travel["scenario"], travel["skyway"]
    cover = scenario.items.get(product__code="trip-cover").product
    for amount in ("0.10", "0.20", "964384.91"):
        ledger_row(skyway, scenario, cover, when=shanghai(date(2026, 1, 20)), amount=amount)
    transaction_rollup_refresh(start=date(2026, 1, 1), end=date(2026, 2, 28))
    for language in ("en", "zh-hans"):
        staff_client.cookies["django_language"] = language
        dashboard = staff_client.get("/staff/", PERIOD).content.decode()

        # January: 330.00 + 964 385.21; the whole range adds February's 300.00.
        assert '<span class="money">964,715.21</span>' in dashboard
        assert not re.search(r"\d\.\d{3,}", visible_text(dashboard))
