"""The funnel's roll-ups agree with a brute-force count over the raw offer log and ledger:
offers counted in the log's own write, distinct offers taken, gross net of refunds, reward
cost, try-outs never counted; the refresh and the rebuild are idempotent."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revenue.models import RewardGrant, Transaction
from revenue.services.funnel import funnel_rebuild, funnel_sales_refresh
from scenarios.models import Campaign, OfferCustomerDaily, OfferFunnelDaily, OfferRecord
from tests.factories import PartnerFactory
from tests.products.factories import ProductFactory
from tests.scenarios.factories import ScenarioFactory

from .data import SHANGHAI, offer, offers_write, sale

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 0, 30, tzinfo=SHANGHAI)


@pytest.fixture
def world(db):
    a, b = PartnerFactory(slug="skyway"), PartnerFactory(slug="charlie-trips")
    v1 = ScenarioFactory(code="travel-finance", version=1)
    v2 = ScenarioFactory(code="travel-finance", version=2, industry=v1.industry)
    loan, cover = (
        ProductFactory(code="trip-installment"),
        ProductFactory(code="trip-cover", category="insurance"),
    )
    return {"partners": [a, b], "versions": [v1, v2], "products": [loan, cover]}


def _rollup() -> dict[tuple, tuple]:
    return {
        (r.day, r.partner_id, r.scenario_id, r.product_code, r.segment, r.channel, r.amount_band): (
            r.offers,
            r.taken,
            r.gross_amount,
            r.reward_cost,
        )
        for r in OfferFunnelDaily.objects.all()
        if (r.offers, r.taken, r.gross_amount, r.reward_cost) != (0, 0, 0, 0)
    }


def _brute_force() -> dict[tuple, tuple]:
    """Straight from the raw rows, in Python: what the roll-up must say."""
    out: dict[tuple, list] = defaultdict(lambda: [0, set(), D("0.00"), D("0.00")])
    keys = {}
    for o in OfferRecord.objects.filter(tryout=False):
        key = (
            timezone.localtime(o.quoted_at).date(),
            o.partner_id,
            o.scenario_id,
            o.product_code,
            o.segment,
            o.channel,
            o.amount_band,
        )
        keys[o.offer_id] = key
        out[key][0] += 1
    grants = {g.transaction_id: g.amount for g in RewardGrant.objects.all()}
    for t in Transaction.objects.exclude(offer_id=""):
        key = keys.get(t.offer_id)
        if key is None:
            continue
        if t.kind == "sale":
            out[key][1].add(t.offer_id)
        out[key][2] += -t.amount if t.kind == "refund" else t.amount
        out[key][3] += grants.get(t.pk, D("0.00"))
    return {k: (v[0], len(v[1]), v[2], v[3]) for k, v in out.items()}


def test_offers_are_counted_in_the_log_write_and_try_outs_never(world):
    a = world["partners"][0]
    v1 = world["versions"][0]
    loan = world["products"][0]
    rows = [offer(partner=a, scenario=v1, product=loan, quoted_at=START) for _ in range(3)]
    rows.append(offer(partner=a, scenario=v1, product=loan, quoted_at=START, tryout=True, channel="portal"))
    offers_write(rows)

    (only,) = OfferFunnelDaily.objects.all()
    assert (only.day, only.offers, only.taken, only.amount_band) == (date(2026, 3, 1), 3, 0, "5k-20k")
    assert OfferRecord.objects.count() == 4  # the try-out is in the log, not in the funnel


def test_an_offer_sold_refunded_and_sold_again_is_one_offer_taken_with_its_net_gross(world):
    a = world["partners"][0]
    v1, loan = world["versions"][0], world["products"][0]
    first, second = (offer(partner=a, scenario=v1, product=loan, quoted_at=START) for _ in range(2))
    offers_write([first, second])
    now = START + timedelta(hours=2)
    sold = sale(first, product=loan, amount="1000.00", received_at=now)
    sale(first, product=loan, amount="1000.00", kind="refund", refund_of=sold, received_at=now)
    sale(first, product=loan, amount="800.00", received_at=now)

    result = funnel_sales_refresh(now=now + timedelta(minutes=1))

    row = OfferFunnelDaily.objects.get()
    assert (row.offers, row.taken, row.gross_amount) == (2, 1, D("800.00"))
    assert result.transactions == 3
    assert result.days == 1


def test_a_refund_alone_nets_the_gross_but_takes_nothing_new(world):
    a = world["partners"][0]
    v1, loan = world["versions"][0], world["products"][0]
    row = offer(partner=a, scenario=v1, product=loan, quoted_at=START)
    offers_write([row])
    now = START + timedelta(hours=2)
    sold = sale(row, product=loan, amount="500.00", received_at=now)
    funnel_sales_refresh(now=now)
    sale(
        row,
        product=loan,
        amount="500.00",
        kind="refund",
        refund_of=sold,
        received_at=now + timedelta(minutes=6),
    )
    funnel_sales_refresh(now=now + timedelta(minutes=7))

    rolled = OfferFunnelDaily.objects.get()
    assert (rolled.taken, rolled.gross_amount) == (1, D("0.00"))


def test_the_refresh_folds_only_new_receipts_and_is_idempotent(world, settings):
    settings.FUNNEL_REFRESH_OVERLAP_SECONDS = 60
    a = world["partners"][0]
    v1, loan = world["versions"][0], world["products"][0]
    rows = [
        offer(partner=a, scenario=v1, product=loan, quoted_at=START + timedelta(days=d)) for d in range(3)
    ]
    offers_write(rows)
    t0 = START + timedelta(days=3)
    sale(rows[0], product=loan, amount="100.00", received_at=t0)
    assert funnel_sales_refresh(now=t0 + timedelta(minutes=1)).days == 1
    assert funnel_sales_refresh(now=t0 + timedelta(minutes=6)).transactions == 0  # nothing new
    sale(rows[2], product=loan, amount="300.00", received_at=t0 + timedelta(minutes=8))
    assert funnel_sales_refresh(now=t0 + timedelta(minutes=11)).days == 1

    assert _rollup() == _brute_force()
    assert sorted(OfferFunnelDaily.objects.values_list("day", "taken")) == [
        (date(2026, 3, 1), 1),
        (date(2026, 3, 2), 0),
        (date(2026, 3, 3), 1),
    ]


def test_a_sale_attributed_to_an_offer_of_another_day_counts_on_the_offers_day(world):
    a = world["partners"][0]
    v1, loan = world["versions"][0], world["products"][0]
    # 23:50 on 1 March in Shanghai is 15:50 UTC: the offer's business day is 1 March.
    late = offer(
        partner=a, scenario=v1, product=loan, quoted_at=datetime(2026, 3, 1, 23, 50, tzinfo=SHANGHAI)
    )
    offers_write([late])
    sale(late, product=loan, amount="42.00", received_at=datetime(2026, 3, 4, 9, tzinfo=SHANGHAI))
    funnel_sales_refresh(now=datetime(2026, 3, 4, 9, 5, tzinfo=SHANGHAI))

    row = OfferFunnelDaily.objects.get()
    assert (row.day, row.taken, row.gross_amount) == (date(2026, 3, 1), 1, D("42.00"))


def test_the_rebuild_command_rebuilds_a_range_from_the_log_and_the_ledger(world, capsys):
    a = world["partners"][0]
    v1, loan = world["versions"][0], world["products"][0]
    rows = [offer(partner=a, scenario=v1, product=loan, quoted_at=START, customer_ref="c1")]
    offers_write(rows)
    sale(rows[0], product=loan, amount="10.00")
    expected = _brute_force()
    OfferFunnelDaily.objects.update(offers=99, taken=7, gross_amount=D("1.00"))  # drifted
    OfferCustomerDaily.objects.update(offers=5)

    call_command("funnel_rebuild", "--from", "2026-03-01", "--to", "2026-03-02")

    # Progress lines first (not a terminal: plain lines), the summary last.
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "funnel days: 0/2 (0%)"
    assert lines[-1] == "funnel rebuilt for 2026-03-01..2026-03-02: 2 days, 1 offers"
    assert _rollup() == expected
    assert list(OfferCustomerDaily.objects.values_list("offers", "taken")) == [(1, 1)]


# --------------------------------------------------------------------------------------
# Property: whatever offers, try-outs, sales, refunds and resales, the roll-up equals the
# brute-force count — after the incremental refresh and after a rebuild.
# --------------------------------------------------------------------------------------
offer_draws = st.lists(
    st.tuples(
        st.integers(0, 1),  # partner
        st.integers(0, 1),  # version
        st.integers(0, 1),  # product
        st.integers(0, 47),  # hour offset (two business days, crossing midnight)
        st.sampled_from(["", "vip"]),
        st.sampled_from([D("500.00"), D("3000.00"), D("150000.00")]),
        st.booleans(),  # try-out
    ),
    min_size=1,
    max_size=12,
)
# (offer index, sequence of kinds: the refund reverses the previous sale)
sale_draws = st.lists(
    st.tuples(st.integers(0, 11), st.sampled_from(["sale", "sale-refund", "sale-refund-sale", "sale-sale"])),
    max_size=10,
)
amounts = st.decimals(min_value=D("0.01"), max_value=D("5000.00"), places=2)


class _Rollback(Exception):
    pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offers=offer_draws, sales=sale_draws, amount=amounts)
def test_the_rollup_equals_a_brute_force_count_of_the_raw_rows(world, offers, sales, amount):
    try:
        with transaction.atomic():
            _check(world, offers, sales, amount)
            raise _Rollback
    except _Rollback:
        pass


def _check(world, offers, sales, amount):
    rows = []
    for p, v, prod, hour, segment, asked, tryout in offers:
        rows.append(
            offer(
                partner=world["partners"][p],
                scenario=world["versions"][v],
                product=world["products"][prod],
                quoted_at=START + timedelta(hours=hour),
                segment=segment,
                amount=asked,
                tryout=tryout,
                channel="portal" if tryout else "api",
            )
        )
    offers_write(rows)
    received = START + timedelta(days=3)
    products = {p.code: p for p in world["products"]}
    for index, pattern in sales:
        row = rows[index % len(rows)]
        product = products[row[10]]
        last = None
        for step in pattern.split("-"):
            if step == "sale":
                last = sale(row, product=product, amount=str(amount), received_at=received)
            else:
                sale(
                    row,
                    product=product,
                    amount=str(amount),
                    kind="refund",
                    refund_of=last,
                    received_at=received,
                )
    funnel_sales_refresh(now=received + timedelta(minutes=1))
    assert _rollup() == _brute_force()

    funnel_rebuild(start=date(2026, 3, 1), end=date(2026, 3, 3))
    assert _rollup() == _brute_force()


def test_reward_cost_is_the_campaign_rewards_granted_for_the_offers_sales(world):
    a = world["partners"][0]
    v1, loan = world["versions"][0], world["products"][0]
    campaign = Campaign.objects.create(
        code="spring",
        name="Spring",
        starts_at=START - timedelta(days=1),
        ends_at=START + timedelta(days=30),
        budget=D("1000.00"),
        partner_share=D("0.5"),
    )
    rows = [offer(partner=a, scenario=v1, product=loan, quoted_at=START) for _ in range(2)]
    offers_write(rows)
    now = START + timedelta(hours=3)
    for row, reward, partner_part in ((rows[0], "8.88", "4.44"), (rows[1], "11.11", "5.56")):
        sold = sale(row, product=loan, amount="100.00", received_at=now)
        RewardGrant.objects.create(
            campaign=campaign,
            partner=a,
            transaction=sold,
            offer_id=row[0],
            amount=D(reward),
            partner_amount=D(partner_part),
            bank_amount=D(reward) - D(partner_part),
            granted_at=now,
        )
    funnel_sales_refresh(now=now + timedelta(minutes=1))

    row = OfferFunnelDaily.objects.get()
    assert (row.taken, row.gross_amount, row.reward_cost) == (2, D("200.00"), D("19.99"))
    assert _rollup() == _brute_force()
