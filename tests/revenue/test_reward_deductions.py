"""Partner-funded reward costs on statements: one deduction line per product, exact to the fen,
each grant deducted once, by the statement of its sale's period (or the next, when late)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revenue.models import RewardGrant, Statement, StatementLine
from revenue.periods import Period
from revenue.services import statement_approve, statement_generate, statement_prepare
from scenarios.models import BundleItem

from .rewards import CampaignFactory, attributed_sales, cashback, offer_record, sale

pytestmark = pytest.mark.django_db

JANUARY = Period(date(2026, 1, 1), date(2026, 1, 31))
FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))


@pytest.fixture
def campaign(scenario, products):
    campaign = CampaignFactory(budget=Decimal("1000.00"), funded_by="split", partner_share=Decimal("0.6"))
    BundleItem.objects.filter(scenario=scenario, product=products[0]).update(campaign=campaign)
    return campaign


def sell(partner, scenario, reward: str, day: date, amount: str = "1000.00"):
    quoted = offer_record(partner, scenario, "trip-installment", cashback(reward))
    return attributed_sales(partner, [(sale(amount=amount, day=day), quoted)])


def test_partner_funded_grants_are_deducted_on_their_periods_statement(
    partner, scenario, agreement, campaign
):
    sell(partner, scenario, "10.01", date(2026, 1, 5))  # partner 6.01 (6.006 half up), bank 4.00
    sell(partner, scenario, "5.00", date(2026, 1, 20))  # partner 3.00
    sell(partner, scenario, "7.00", date(2026, 2, 2))  # February's

    statement = statement_generate(agreement_id=agreement.pk, period=JANUARY).statement

    line = statement.lines.get(kind=StatementLine.Kind.REWARD)
    assert line.share_amount == Decimal("-9.01")
    assert line.gross_amount == 0
    assert line.transaction_count == 2
    assert statement.transaction_count == 2  # the sales, not the grants again
    assert statement.share_amount == Decimal("600.00")  # 30 % of 2,000.00
    assert statement.adjustment_amount == Decimal("-9.01")
    assert RewardGrant.objects.filter(statement=statement).count() == 2
    assert RewardGrant.objects.filter(statement__isnull=True).count() == 1


def test_bank_funded_grants_make_no_line(partner, scenario, agreement, campaign):
    campaign.funded_by, campaign.partner_share = "bank", Decimal(0)
    campaign.save()
    sell(partner, scenario, "10.00", date(2026, 1, 5))

    statement = statement_generate(agreement_id=agreement.pk, period=JANUARY).statement

    assert not statement.lines.filter(kind=StatementLine.Kind.REWARD).exists()
    assert statement.adjustment_amount == 0


def test_a_late_sales_grant_is_deducted_on_the_next_statement_once(partner, scenario, agreement, campaign):
    sell(partner, scenario, "10.00", date(2026, 1, 5))
    january = statement_generate(agreement_id=agreement.pk, period=JANUARY).statement
    sell(partner, scenario, "20.00", date(2026, 1, 25))  # late: January is settled

    february = statement_generate(agreement_id=agreement.pk, period=FEBRUARY).statement
    statement_generate(agreement_id=agreement.pk, period=JANUARY)  # again: nothing changes

    assert january.lines.get(kind="reward").share_amount == Decimal("-6.00")
    assert february.lines.get(kind="reward").share_amount == Decimal("-12.00")
    assert sorted(RewardGrant.objects.values_list("statement_id", flat=True)) == [january.pk, february.pk]


def test_deductions_go_through_the_statements_maker_checker(
    partner, scenario, agreement, campaign, maker, checker
):
    sell(partner, scenario, "10.00", date(2026, 1, 5))
    statement = statement_generate(agreement_id=agreement.pk, period=JANUARY).statement

    statement_prepare(statement=statement, actor=maker)
    approved = statement_approve(statement=statement, actor=checker)

    assert approved.status == Statement.Status.APPROVED
    assert approved.share_amount + approved.adjustment_amount == Decimal("294.00")  # 300.00 − 6.00


grant_plan = st.lists(
    st.tuples(
        st.integers(0, 2),  # month of the sale: January, February, March
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("30.00"), places=2),
        st.integers(0, 3),  # how many statements are generated before it is recorded
    ),
    min_size=1,
    max_size=10,
)
MONTHS = [
    Period(date(2026, 1, 1), date(2026, 1, 31)),
    Period(date(2026, 2, 1), date(2026, 2, 28)),
    Period(date(2026, 3, 1), date(2026, 3, 31)),
]


class _Rollback(Exception):
    """Undo one example's rows: hypothesis runs many examples in one test database."""


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=grant_plan, share=st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=4))
def test_every_grant_is_deducted_once_whatever_the_order(partner, scenario, agreement, plan, share):
    try:
        with transaction.atomic():
            _deduct_and_check(partner, scenario, agreement, plan, share)
            raise _Rollback
    except _Rollback:
        pass


def _deduct_and_check(partner, scenario, agreement, plan, share):
    campaign = CampaignFactory(budget=Decimal("10000.00"), funded_by="split", partner_share=share)
    BundleItem.objects.filter(scenario=scenario, product__code="trip-installment").update(campaign=campaign)
    generated = 0
    for month, reward, settled_before in sorted(plan, key=lambda p: p[2]):
        while generated < settled_before:
            statement_generate(agreement_id=agreement.pk, period=MONTHS[generated])
            generated += 1
        sell(partner, scenario, str(reward), MONTHS[month].start.replace(day=10))
    for period in MONTHS[generated:]:
        statement_generate(agreement_id=agreement.pk, period=period)
    statement_generate(agreement_id=agreement.pk, period=Period(date(2026, 4, 1), date(2026, 4, 30)))

    grants = list(RewardGrant.objects.filter(campaign=campaign).values_list("partner_amount", "statement_id"))
    deducted = sum(
        (line.share_amount for line in StatementLine.objects.filter(kind=StatementLine.Kind.REWARD)),
        Decimal(0),
    )
    assert -deducted == sum((p for p, _s in grants), Decimal(0))
    assert all(s is not None for p, s in grants if p > 0)
    assert all(s is None for p, s in grants if p == 0)
