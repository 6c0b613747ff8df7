"""One partner's failure never stops another's: a period that fails is recorded with its
error, the later periods of that partner's scenario wait for the next run (a statement never
follows a missing one), every other partner settles, and the run ends ``partial`` or
``failed`` with its counts — inline, through the task chains, and from ``settle``."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from revenue import services
from revenue.models import Agreement, SettlementRun, Statement

from .factories import agreement_in_force, item, join, record

pytestmark = pytest.mark.django_db

THROUGH = date(2026, 2, 28)


@pytest.fixture
def broken(agreement):
    """Skyway's agreement with terms no statement can be priced with (as a corrupt row)."""
    Agreement.objects.filter(pk=agreement.pk).update(terms={"rate": "thirty percent"})
    return agreement


@pytest.fixture
def healthy(maker, checker, other_partner, scenario):
    join(other_partner, scenario)
    return agreement_in_force(maker=maker, checker=checker, partner=other_partner, scenario=scenario)


@pytest.fixture
def ledger(partner, other_partner, healthy, agreement):
    for who in (partner, other_partner):
        record(who, item(amount="100.00", day=date(2026, 1, 10)), item(amount="50.00", day=date(2026, 2, 10)))


def periods_of(agreement) -> list[tuple]:
    return list(
        Statement.objects.filter(agreement=agreement)
        .order_by("period_start")
        .values_list("period_start", "share_amount")
    )


@pytest.mark.parametrize("dispatch", [False, True], ids=["inline", "task-chains"])
def test_a_failing_partner_leaves_the_others_settled_and_the_run_partial(broken, healthy, ledger, dispatch):
    run = services.settlement_start(through=THROUGH, trigger="command", dispatch=dispatch)

    assert periods_of(healthy) == [(date(2026, 1, 1), Decimal("30.00")), (date(2026, 2, 1), Decimal("15.00"))]
    assert periods_of(broken) == []
    run.refresh_from_db()
    assert (run.status, run.periods_planned, run.periods_done, run.periods_failed) == ("partial", 4, 2, 2)
    assert run.finished_at is not None
    [error] = run.errors
    assert error["partner"] == "skyway"
    assert (error["period_start"], error["period_end"], error["skipped"]) == ("2026-01-01", "2026-01-31", 1)
    assert error["error"].startswith("InvalidOperation")


def test_a_run_where_every_period_fails_ends_failed(broken, partner):
    record(partner, item(amount="100.00", day=date(2026, 1, 10)))

    run = services.settlement_start(through=THROUGH, trigger="command", dispatch=False)

    run.refresh_from_db()
    assert (run.status, run.periods_done, run.periods_failed) == ("failed", 0, 2)
    assert not Statement.objects.exists()


def test_the_next_run_settles_the_failed_periods_in_order_once_the_cause_is_fixed(broken, healthy, ledger):
    services.settlement_start(through=THROUGH, trigger="command", dispatch=False)
    Agreement.objects.filter(pk=broken.pk).update(terms={"rate": "0.300000"})

    run = services.settlement_start(through=THROUGH, trigger="command", dispatch=False)

    run.refresh_from_db()
    assert (run.status, run.periods_planned, run.periods_done) == ("succeeded", 2, 2)
    assert periods_of(broken) == [(date(2026, 1, 1), Decimal("30.00")), (date(2026, 2, 1), Decimal("15.00"))]


def test_settle_inline_reports_the_failed_periods_and_exits_non_zero(broken, healthy, ledger):
    with pytest.raises(CommandError) as failure:
        call_command("settle", "--through", THROUGH.isoformat(), "--inline", stdout=StringIO())

    message = str(failure.value)
    assert "partly failed" in message
    assert "2 periods failed" in message
    assert "skyway / travel-finance 2026-01-01–2026-01-31: InvalidOperation" in message
    assert len(periods_of(healthy)) == 2


def test_a_run_without_failures_still_ends_succeeded(agreement, partner):
    record(partner, item(amount="100.00", day=date(2026, 1, 10)))

    run = services.settlement_start(through=THROUGH, trigger="command", dispatch=False)

    assert (run.status, run.periods_done, run.periods_failed, run.progress) == ("succeeded", 2, 0, 100)
    assert run.progress_at is not None
    assert SettlementRun.objects.get().errors == []
