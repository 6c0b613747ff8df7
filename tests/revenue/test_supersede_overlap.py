"""An auditor's sequence: a settlement is planned (queued) for the old agreement's week, then a
new agreement superseding it from mid-week is approved, then the queued periods run. No day
may be settled twice and nothing may be settled under an agreement that has ended."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from revenue.exceptions import StatementOverlap
from revenue.models import Statement, Transaction
from revenue.periods import Period
from revenue.selectors import statement_transactions, with_statement
from revenue.services import settlement_plan, settlement_start, statement_generate

from .factories import agreement_in_force, days, item, record

pytestmark = pytest.mark.django_db

WEEK = Period(date(2026, 11, 16), date(2026, 11, 22))
NEXT_WEEK = Period(date(2026, 11, 23), date(2026, 11, 29))


@pytest.fixture
def weekly(maker, checker, partner, scenario, joined):
    agreement = agreement_in_force(
        maker=maker,
        checker=checker,
        partner=partner,
        scenario=scenario,
        cycle="weekly",
        effective_from=date(2026, 11, 2),
    )
    record(partner, *[item(amount="10.00", day=day) for day in days(WEEK.start, 14)])
    return agreement


def supersede_from(day, *, maker, checker, partner, scenario, old):
    return agreement_in_force(
        maker=maker,
        checker=checker,
        partner=partner,
        scenario=scenario,
        cycle="daily",
        terms={"rate": "0.500000"},
        effective_from=day,
        supersedes=old,
    )


def test_a_queued_period_is_clipped_to_an_end_approved_after_it_was_planned(
    weekly, maker, checker, partner, scenario
):
    planned = [p for group in settlement_plan(through=NEXT_WEEK.end) for p in group]
    assert [(p.start, p.end) for p in planned][-2:] == [
        (WEEK.start, WEEK.end),
        (NEXT_WEEK.start, NEXT_WEEK.end),
    ]

    new = supersede_from(
        date(2026, 11, 20), maker=maker, checker=checker, partner=partner, scenario=scenario, old=weekly
    )
    results = [
        statement_generate(agreement_id=p.agreement_id, period=Period(p.start, p.end)) for p in planned
    ]
    settlement_start(through=NEXT_WEEK.end, trigger="command")

    old_week = Statement.objects.get(agreement=weekly, period_start=WEEK.start)
    assert old_week.period_end == date(2026, 11, 19)
    assert old_week.transaction_count == 4
    assert results[-1].statement is None  # the ended agreement's next week: nothing settled
    assert not Statement.objects.filter(agreement=weekly, period_start=NEXT_WEEK.start).exists()
    assert list(
        Statement.objects.filter(agreement=new)
        .order_by("period_start")
        .values_list("period_start", flat=True)
    ) == days(date(2026, 11, 20), 10)
    # Every transaction settled exactly once, and the old week's share only for its own days.
    seen = [t.pk for s in Statement.objects.all() for t in statement_transactions(s)]
    assert len(seen) == len(set(seen)) == Transaction.objects.count()
    assert not with_statement(Transaction.objects.all()).filter(statement_id__isnull=True).exists()
    assert old_week.share_amount == Decimal("12.00")
    assert sum(s.share_amount for s in Statement.objects.filter(agreement=new)) == Decimal("50.00")


def test_two_statements_of_one_scenario_never_cover_the_same_day(weekly, partner):
    statement_generate(agreement_id=weekly.pk, period=WEEK)

    with pytest.raises(StatementOverlap):
        statement_generate(agreement_id=weekly.pk, period=Period(date(2026, 11, 20), date(2026, 11, 26)))
    assert Statement.objects.count() == 1


def test_the_database_refuses_overlapping_statements(weekly, partner):
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on the service check")
    first = statement_generate(agreement_id=weekly.pk, period=WEEK).statement

    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.create(
            agreement=weekly,
            partner=partner,
            scenario_code=first.scenario_code,
            period_start=date(2026, 11, 22),
            period_end=date(2026, 11, 28),
        )
