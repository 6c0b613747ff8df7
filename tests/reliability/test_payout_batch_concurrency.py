"""Payout batches under concurrency, on PostgreSQL (threads with their own connections): two
makers building at once never batch one statement twice nor take one claw-back beyond its total;
two releases of one batch at once release it once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from payouts.exceptions import PayoutError, PayoutStatusMoveInvalid
from payouts.models import PayoutBatch, PayoutLine
from payouts.services.batches import payout_batch_build, payout_batch_release
from revenue.models import StatementStatusChange
from tests.payouts.batch_helpers import approved_statement, payable_partner, staff
from tests.revenue.factories import finance_staff, scenario_with_products

from .test_reward_grant_concurrency import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and concurrent writers)")


@pytest.fixture
def payable(staff_roles, settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard", "premier", "strategic")
    maker, checker = staff(staff_roles)
    scenario = scenario_with_products()[0]
    agreements = [
        payable_partner(maker=maker, checker=checker, scenario=scenario, slug=f"race-{i}") for i in range(3)
    ]
    for agreement in agreements:
        for total in ("100.00", "-30.00", "50.00", "-40.00"):
            approved_statement(agreement, total)
    return staff_roles, maker, checker


def test_two_makers_building_at_once_never_batch_one_statement_twice(payable):
    staff_roles, maker, _checker = payable
    other = finance_staff(staff_roles, "maker2@bank.example", "Finance makers")

    def build(actor):
        return lambda: payout_batch_build(
            actor=actor, currency="CNY", requested_execution_date=timezone.localdate()
        )

    results = in_threads([build(maker), build(other), build(maker), build(other)])

    built = [r for r in results if isinstance(r, PayoutBatch)]
    assert len(built) == 1, results  # the others found nothing left to pay
    assert all(isinstance(r, PayoutError) for r in results if not isinstance(r, PayoutBatch)), results
    lines = list(PayoutLine.objects.values_list("statement_id", "amount"))
    positives = [pk for pk, amount in lines if amount > 0]
    assert len(positives) == len(set(positives)) == 6
    assert sum((a for _pk, a in lines), Decimal(0)) == Decimal("240.00")  # 3 × (150 − 70)


def test_two_releases_of_one_batch_release_it_once(payable):
    staff_roles, maker, checker = payable
    other = finance_staff(staff_roles, "checker2@bank.example", "Finance checkers")
    batch = payout_batch_build(actor=maker, currency="CNY", requested_execution_date=timezone.localdate())

    results = in_threads(
        [
            lambda: payout_batch_release(batch=batch, actor=checker),
            lambda: payout_batch_release(batch=batch, actor=other),
        ]
    )

    assert sum(isinstance(r, PayoutBatch) for r in results) == 1, results
    assert sum(isinstance(r, PayoutStatusMoveInvalid) for r in results) == 1, results
    assert StatementStatusChange.objects.filter(to_status="in_payment").count() == 6
