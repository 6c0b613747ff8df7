"""The auditor's sequence with a real worker on the real broker: a settlement is queued while no
worker runs, a new agreement superseding the old one mid-week is approved, then the worker
starts. No transaction may be settled twice."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from revenue.models import Statement, Transaction
from revenue.selectors import statement_transactions, with_statement
from tests.revenue.factories import agreement_in_force, days, item, record
from tests.worker import running_worker

from .test_settlement_worker import last_run, settle_on, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_supersede_approved_while_settlement_is_queued_settles_no_day_twice(
    maker, checker, partner, scenario, joined, monkeypatch
):
    old = agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, cycle="weekly",
        effective_from=date(2026, 11, 2),
    )  # fmt: skip
    record(partner, *[item(amount="10.00", day=day) for day in days(date(2026, 11, 16), 14)])
    queue = f"settle-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("REVENUE_SETTLEMENT_QUEUE", queue)
    through = date(2026, 11, 29)

    # The worker plans all four weeks at once, then pauses before each: the approval lands
    # after the weeks were planned and queued, before the week of the 16th is generated.
    settle_on(queue, through)  # queued: no worker consumes it yet
    with running_worker(queues=[queue], settlement_pause=3) as worker:
        wait_for(lambda: last_run() is not None and last_run().periods_done >= 1)
        assert last_run().periods_planned == 4
        new = agreement_in_force(
            maker=maker, checker=checker, partner=partner, scenario=scenario, cycle="daily",
            terms={"rate": "0.500000"}, effective_from=date(2026, 11, 20), supersedes=old,
        )  # fmt: skip
        wait_for(lambda: last_run().status != "running")
        assert worker["process"].poll() is None

    run = last_run()
    assert run.status == "succeeded", run.errors
    weeks = list(Statement.objects.filter(agreement=old).values_list("period_start", "period_end"))
    assert (date(2026, 11, 16), date(2026, 11, 19)) in weeks
    assert not Statement.objects.filter(agreement=old, period_end__gt=date(2026, 11, 19)).exists()
    seen = [t.pk for s in Statement.objects.all() for t in statement_transactions(s)]
    assert len(seen) == len(set(seen))
    # A second run settles the new agreement's days the first run did not plan.
    with running_worker(queues=[queue]):
        settle_on(queue, through)
        wait_for(lambda: last_run().pk != run.pk and last_run().status != "running")
    seen = [t.pk for s in Statement.objects.all() for t in statement_transactions(s)]
    assert len(seen) == len(set(seen)) == Transaction.objects.count()
    assert not with_statement(Transaction.objects.all()).filter(statement_id__isnull=True).exists()
    old_share = sum(
        s.share_amount for s in Statement.objects.filter(agreement=old, period_start__gte=date(2026, 11, 16))
    )
    new_share = sum(s.share_amount for s in Statement.objects.filter(agreement=new))
    assert old_share == Decimal("12.00")  # 16th–19th at 30 %
    assert new_share == Decimal("50.00")  # 20th–29th at 50 %
