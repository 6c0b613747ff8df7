"""The money story of netting, on random sequences: statements owed and claw-backs of several
partners, batches built, some cancelled, some released. Whatever the order: what all payments
pay less the claw-backs still open equals the sum of all statements' totals; no statement is
paid twice; no claw-back is taken beyond its total; every payment is positive and is exactly
its lines' sum. Exact Decimals throughout."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payouts.exceptions import PayoutError
from payouts.models import Payout, PayoutBatch, PayoutLine
from payouts.services.batches import payout_batch_build, payout_batch_cancel, payout_batch_release
from revenue.models import Statement
from tests.revenue.factories import scenario_with_products

from .batch_helpers import approved_statement, payable_partner, staff

pytestmark = pytest.mark.django_db
PARTNERS = 3
ZERO = Decimal("0.00")

amounts = st.integers(min_value=-20000, max_value=30000).filter(bool).map(lambda fen: Decimal(fen) / 100)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("statement"), st.integers(0, PARTNERS - 1), amounts),
        st.tuples(st.just("build")),
        st.tuples(st.just("release")),
        st.tuples(st.just("cancel")),
    ),
    min_size=1,
    max_size=25,
)


@pytest.fixture
def setting_up(staff_roles, settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard", "premier", "strategic")
    maker, checker = staff(staff_roles)
    scenario = scenario_with_products()[0]
    agreements = [
        payable_partner(maker=maker, checker=checker, scenario=scenario, slug=f"netting-{i}")
        for i in range(PARTNERS)
    ]
    return maker, checker, agreements


class _Rollback(Exception):
    """Undo one example's rows: hypothesis runs many examples in one test database."""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_netting_loses_nothing_and_pays_nothing_twice(setting_up, plan):
    try:
        with transaction.atomic():
            _run_and_check(*setting_up, plan)
            raise _Rollback
    except _Rollback:
        pass


def _build(maker):
    try:
        return payout_batch_build(actor=maker, currency="CNY", requested_execution_date=timezone.localdate())
    except PayoutError:
        return None  # nothing payable: nothing built


def _run_and_check(maker, checker, agreements, plan):
    drafts: list[PayoutBatch] = []
    for step in plan:
        if step[0] == "statement":
            approved_statement(agreements[step[1]], step[2])
        elif step[0] == "build":
            batch = _build(maker)
            if batch is not None:
                drafts.append(batch)
        elif drafts and step[0] == "release":
            payout_batch_release(batch=drafts.pop(0), actor=checker)
        elif drafts and step[0] == "cancel":
            payout_batch_cancel(batch=drafts.pop(), actor=maker)
    # Every statement owed ends in a live batch: build once more, release what is left.
    last = _build(maker)
    for batch in [*drafts, *([last] if last else [])]:
        payout_batch_release(batch=batch, actor=checker)

    statements = {s.pk: s for s in Statement.objects.filter(partner__slug__startswith="netting-")}
    totals = {pk: s.share_amount + s.adjustment_amount for pk, s in statements.items()}
    live = list(PayoutLine.objects.filter(live=True).values_list("statement_id", "amount", "payout_id"))
    payouts = list(
        Payout.objects.exclude(status=Payout.Status.CANCELLED).values_list("pk", "amount", "partner_id")
    )

    # No statement owed is paid twice; every one is in exactly one live batch.
    positive_lines = [(pk, amount) for pk, amount, _p in live if amount > 0]
    assert sorted(pk for pk, _a in positive_lines) == sorted(pk for pk, t in totals.items() if t > 0)
    assert all(amount == totals[pk] for pk, amount in positive_lines)
    # No claw-back is taken beyond its total.
    taken: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for pk, amount, _p in live:
        if amount < 0:
            assert totals[pk] < 0
            taken[pk] -= amount
    assert all(taken[pk] <= -totals[pk] for pk in taken)
    open_clawback = sum((-t - taken[pk] for pk, t in totals.items() if t < 0), ZERO)
    # Every payment is positive and exactly its lines' sum.
    by_payout: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for _pk, amount, payout_id in live:
        if payout_id is not None:
            by_payout[payout_id] += amount
    for pk, amount, _partner in payouts:
        assert amount > 0
        assert by_payout[pk] == amount
    # The money story: paid − claw-back still open = the statements' totals.
    paid = sum((amount for _pk, amount, _partner in payouts), ZERO)
    assert paid - open_clawback == sum(totals.values(), ZERO)
    # Statuses follow: owed ones in payment or settled by netting; claw-backs paid once taken.
    for pk, statement in statements.items():
        if totals[pk] > 0:
            assert statement.status in ("in_payment", "paid")
        else:
            assert (statement.status == "paid") == (taken[pk] == -totals[pk])
