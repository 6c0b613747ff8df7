from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from revenue.models import SettlementRun, Statement, Transaction
from revenue.periods import Period
from revenue.selectors import statement_transactions, with_statement
from revenue.services import settlement_start, statement_generate

from .factories import SHANGHAI, agreement_in_force, item, record

pytestmark = pytest.mark.django_db


def lines_of(statement):
    return [
        (
            line.kind,
            line.product.code if line.product else None,
            line.transaction_count,
            line.gross_amount,
            line.share_amount,
        )
        for line in statement.lines.select_related("product").order_by("position")
    ]


def test_it_settles_a_month_into_one_statement_with_lines_per_product_and_kind(partner, agreement):
    record(
        partner,
        item(amount="100.00", day=date(2026, 1, 3), external_id="s1"),
        item(amount="50.05", day=date(2026, 1, 31)),
        item(product="trip-cover", amount="20.00", day=date(2026, 1, 10)),
        item(kind="refund", amount="10.00", day=date(2026, 1, 11), refund_of="s1"),
        item(amount="999.00", day=date(2026, 2, 1)),  # next period
    )

    run = settlement_start(through=date(2026, 1, 31), trigger="command")

    assert run.status == "succeeded"
    assert run.statements_created == 1
    statement = Statement.objects.get()
    assert (statement.period_start, statement.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert lines_of(statement) == [
        ("refund", "trip-installment", 1, Decimal("-10.00"), Decimal("-3.00")),
        ("sale", "trip-installment", 2, Decimal("150.05"), Decimal("45.02")),
        ("sale", "trip-cover", 1, Decimal("20.00"), Decimal("6.00")),
    ]
    assert statement.transaction_count == 4
    assert statement.gross_amount == Decimal("160.05")
    assert statement.share_amount == Decimal("48.02")
    assert statement_transactions(statement).count() == 4
    unsettled = with_statement(Transaction.objects.all()).filter(statement_id__isnull=True)
    assert [t.occurred_on for t in unsettled] == [date(2026, 2, 1)]


def test_settling_the_same_period_twice_gives_one_statement(partner, agreement):
    record(partner, item(day=date(2026, 1, 3)))
    period = Period(date(2026, 1, 1), date(2026, 1, 31))

    first = statement_generate(agreement_id=agreement.pk, period=period)
    second = statement_generate(agreement_id=agreement.pk, period=period)
    settlement_start(through=date(2026, 1, 31), trigger="command")

    assert first.created
    assert not second.created
    assert Statement.objects.count() == 1


def test_a_late_transaction_becomes_an_adjustment_in_the_next_statement(partner, agreement):
    record(partner, item(amount="100.00", day=date(2026, 1, 3)))
    settlement_start(through=date(2026, 1, 31), trigger="command")
    january = Statement.objects.get()
    record(partner, item(amount="40.00", day=date(2026, 1, 20)), item(amount="10.00", day=date(2026, 2, 2)))

    settlement_start(through=date(2026, 2, 28), trigger="command")

    january.refresh_from_db()
    assert (january.transaction_count, january.share_amount) == (1, Decimal("30.00"))
    february = Statement.objects.get(period_start=date(2026, 2, 1))
    assert february.share_amount == Decimal("3.00")
    assert february.adjustment_amount == Decimal("12.00")
    adjustment = february.lines.get(kind="adjustment")
    assert adjustment.adjusts == january
    assert adjustment.gross_amount == Decimal("40.00")
    assert february.transaction_count == 2


def test_every_closed_period_gets_a_statement_even_without_transactions(
    partner, maker, checker, scenario, joined
):
    agreement_in_force(
        maker=maker,
        checker=checker,
        partner=partner,
        scenario=scenario,
        cycle="weekly",
        effective_from=date(2026, 1, 7),
    )

    call_command("settle", "--through", "2026-01-25", stdout=__import__("io").StringIO())

    periods = list(Statement.objects.order_by("period_start").values_list("period_start", "period_end"))
    # Wednesday 7th: the first week is clipped to the agreement's start.
    assert periods == [
        (date(2026, 1, 7), date(2026, 1, 11)),
        (date(2026, 1, 12), date(2026, 1, 18)),
        (date(2026, 1, 19), date(2026, 1, 25)),
    ]
    assert SettlementRun.objects.get().periods_done == 3


def test_settle_refuses_a_date_whose_periods_have_not_closed(partner, agreement):
    with time_machine.travel(datetime(2026, 11, 30, 9, tzinfo=SHANGHAI), tick=False):
        record(partner, item(day=date(2026, 11, 29)))
        with pytest.raises(CommandError, match="settle through 2026-11-29 at the latest"):
            call_command("settle", "--through", "2026-12-31", "--inline")
        with pytest.raises(CommandError, match="have not closed"):
            call_command("settle", "--through", "2026-11-30", "--inline")
        call_command("settle", "--through", "2026-11-29", "--inline", stdout=StringIO())

    assert not SettlementRun.objects.filter(through__gt=date(2026, 11, 29)).exists()
    assert Statement.objects.filter(period_end__gt=date(2026, 11, 29)).count() == 0
    assert Statement.objects.filter(period_start=date(2026, 10, 1)).exists()
