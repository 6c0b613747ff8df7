"""The staff console's true funnel: offers shown → distinct offers taken → gross → revenue share
→ reward cost, from the roll-ups; every breakdown; two versions side by side; cross-sell by
customer over the whole period; exports; the same queries at two sizes; both languages."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from revenue.models import Statement
from revenue.services.funnel import funnel_sales_refresh
from tests.factories import PartnerFactory
from tests.insights.data import SHANGHAI, offer, offers_write, sale
from tests.products.factories import ProductFactory
from tests.revenue.factories import agreement_in_force, finance_staff
from tests.scenarios.factories import ScenarioFactory

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 20, 10, tzinfo=SHANGHAI)
FEB = datetime(2026, 2, 10, 10, tzinfo=SHANGHAI)
PERIOD = {"date_from": "2026-01-01", "date_to": "2026-02-28"}


@pytest.fixture
def world(staff_roles):
    """skyway: v1 4 offers (2 taken), v2 4 offers (3 taken); customer c1 offered the loan in
    January and the cover in February, taking both; oasis: 2 offers of v1, 1 taken. skyway's
    statements in the period: share 300 of gross 1000 (rate 0.3)."""
    skyway, oasis = (
        PartnerFactory(slug="skyway", display_name="Skyway"),
        PartnerFactory(slug="oasis", display_name="Oasis"),
    )
    v1 = ScenarioFactory(code="travel-finance", version=1, name="Travel finance", name_zh="出行金融")
    v2 = ScenarioFactory(
        code="travel-finance", version=2, name="Travel finance", name_zh="出行金融", industry=v1.industry
    )
    loan, cover = (
        ProductFactory(code="trip-installment"),
        ProductFactory(code="trip-cover", category="insurance"),
    )
    rows = {
        "v1": [offer(partner=skyway, scenario=v1, product=loan, quoted_at=JAN, customer_ref="c1")]
        + [
            offer(partner=skyway, scenario=v1, product=loan, quoted_at=JAN, amount=D("500.00"))
            for _ in range(3)
        ],
        "v2": [offer(partner=skyway, scenario=v2, product=cover, quoted_at=FEB, customer_ref="c1")]
        + [offer(partner=skyway, scenario=v2, product=loan, quoted_at=FEB) for _ in range(3)],
        "oasis": [offer(partner=oasis, scenario=v1, product=loan, quoted_at=JAN) for _ in range(2)],
        "tryout": [
            offer(partner=skyway, scenario=v1, product=loan, quoted_at=JAN, tryout=True, channel="portal")
        ],
    }
    offers_write([r for group in rows.values() for r in group])
    received = datetime(2026, 2, 20, 9, tzinfo=SHANGHAI)
    first = sale(rows["v1"][0], product=loan, amount="400.00", received_at=received)
    sale(rows["v1"][0], product=loan, amount="400.00", kind="refund", refund_of=first, received_at=received)
    sale(rows["v1"][0], product=loan, amount="350.00", received_at=received)
    sale(rows["v1"][1], product=loan, amount="100.00", received_at=received)
    sale(rows["v2"][0], product=cover, amount="20.00", received_at=received)
    sale(rows["v2"][1], product=loan, amount="200.00", received_at=received)
    sale(rows["v2"][2], product=loan, amount="300.00", received_at=received)
    sale(rows["oasis"][0], product=loan, amount="999.00", received_at=received)
    sale(rows["tryout"][0], product=loan, amount="5.00", received_at=received)
    funnel_sales_refresh(now=received + timedelta(minutes=1))
    maker = finance_staff(staff_roles, "maker@bank.example", "Finance makers")
    checker = finance_staff(staff_roles, "checker@bank.example", "Finance checkers")
    agreement = agreement_in_force(maker=maker, checker=checker, partner=skyway, scenario=v1)
    Statement.objects.create(
        agreement=agreement,
        partner=skyway,
        scenario_code="travel-finance",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        gross_amount=D("1000.00"),
        share_amount=D("300.00"),
    )
    return {"skyway": skyway, "oasis": oasis, "v1": v1, "v2": v2}


def page(client, **params):
    response = client.get("/staff/funnel/", {**PERIOD, **params})
    assert response.status_code == 200
    return response.context["funnel"]


def test_the_funnel_goes_from_offers_shown_to_reward_cost(staff_client, world):
    funnel = page(staff_client)

    total = funnel.total
    # skyway 8 + oasis 2 offers (the try-out never counts); 5 + 1 distinct offers taken.
    assert (total.offers, total.taken, total.conversion) == (10, 6, D("0.6000"))
    # skyway 350 + 100 + 20 + 200 + 300 = 970 (the refunded 400 nets out); oasis 999.
    assert total.gross_amount == D("1969.00")
    # Revenue share: skyway's 970 × 0.3 = 291.00; oasis has no statement.
    assert total.share == D("291.00")
    assert total.reward_cost == D("0.00")
    [line] = funnel.lines
    assert line.label == "Travel finance"


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        ("version", [("Travel finance v1", 6, 3), ("Travel finance v2", 4, 3)]),
        ("product", [("trip-cover", 1, 1), ("trip-installment", 9, 5)]),
        ("partner", [("Skyway", 8, 5), ("Oasis", 2, 1)]),
        ("amount_band", [("5k-20k", 7, 5), ("<1k", 3, 1)]),
        ("day", [("2026-01-20", 6, 3), ("2026-02-10", 4, 3)]),
        ("segment", [("standard", 10, 6)]),
        ("channel", [("api", 10, 6)]),
    ],
)
def test_every_breakdown(staff_client, world, group_by, expected):
    lines = page(staff_client, group_by=group_by).lines

    assert sorted((line.label, line.offers, line.taken) for line in lines) == sorted(expected)


def test_the_partner_filter_shows_one_partner_only(staff_client, world):
    funnel = page(staff_client, partner=world["oasis"].pk)

    assert (funnel.total.offers, funnel.total.taken, funnel.total.gross_amount) == (2, 1, D("999.00"))


def test_two_versions_of_a_scenario_side_by_side_with_the_difference_in_points(staff_client, world):
    funnel = page(staff_client, scenario="travel-finance", partner=world["skyway"].pk)

    comparison = funnel.comparison
    assert (comparison.a.conversion, comparison.b.conversion) == (D("0.5000"), D("0.7500"))
    assert comparison.difference_points == D("25.00")
    html = staff_client.get(
        "/staff/funnel/", {**PERIOD, "scenario": "travel-finance", "partner": world["skyway"].pk}
    )
    assert "a difference of 25.00 percentage points" in html.content.decode()


def test_cross_sell_counts_a_customer_once_over_the_whole_period_not_per_month(staff_client, world):
    # c1: the loan in January, the cover in February; monthly counts would find no cross-sell.
    cross = page(staff_client, cross_sell="on").cross_sell

    assert cross == {"customers": 1, "offered_several": 1, "buyers": 1, "bought_several": 1}
    assert page(staff_client, date_to="2026-01-31", cross_sell="on").cross_sell["offered_several"] == 0
    assert page(staff_client).cross_sell == {}  # counted only when asked: its cost follows the customers


def test_the_exports_have_the_lines_and_the_total(staff_client, world):
    response = staff_client.get("/staff/funnel/", {**PERIOD, "group_by": "partner", "export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="funnel-partner-20260101-20260228.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Partner",
        "Offers shown",
        "Offers taken",
        "Conversion",
        "Gross amount",
        "Revenue share",
        "Reward cost",
    ]
    assert ["Skyway", "8", "5", "0.6250", "970.00", "291.00", "0.00"] in [r[:7] for r in rows]
    assert rows[-1][:3] == ["Total", "10", "6"]

    response = staff_client.get("/staff/funnel/", {**PERIOD, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    row = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert (row["Gross amount"].value, row["Gross amount"].number_format) == (1969, "#,##0.00")
    assert (row["Conversion"].value, row["Conversion"].number_format) == (0.6, "0.00%")


def test_the_page_costs_the_same_queries_at_two_sizes(staff_client, world, django_assert_num_queries):
    params = {**PERIOD, "scenario": "travel-finance", "group_by": "day", "cross_sell": "on"}
    with CaptureQueriesContext(connection) as ctx:
        staff_client.get("/staff/funnel/", params)
    expected = len(ctx.captured_queries)
    loan = ProductFactory(code="extra-loan")
    more = [
        offer(
            partner=PartnerFactory(),
            scenario=world["v2"],
            product=loan,
            quoted_at=JAN + timedelta(days=n % 30),
            customer_ref=f"x{n}",
        )
        for n in range(60)
    ]
    offers_write(more)
    for row in more[:20]:
        sale(row, product=loan, amount="10.00", received_at=datetime(2026, 2, 21, tzinfo=SHANGHAI))
    funnel_sales_refresh(now=datetime(2026, 2, 21, 0, 5, tzinfo=SHANGHAI))

    with django_assert_num_queries(expected):
        assert staff_client.get("/staff/funnel/", params).status_code == 200
    # Session and user (2), breakdown, statements' rates, names, versions, cross-sell, partners list;
    # the user's permissions (2: the menu shows *Payouts* only to who may see it).
    assert expected <= 11


def test_the_page_reads_in_both_languages(staff_client, world):
    for language, words in (("en", "Offers shown"), ("zh-hans", "展示的报价")):
        staff_client.cookies["django_language"] = language
        html = staff_client.get("/staff/funnel/", PERIOD).content.decode()
        assert words in html
        assert '<span class="money">1,969.00</span>' in html


def test_partner_users_cannot_see_or_export_it(client, alice, world):
    client.force_login(alice)
    assert client.get("/staff/funnel/", {"export": "csv"}).status_code == 403
