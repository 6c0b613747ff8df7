"""Reward grants under concurrency, on PostgreSQL: several connections recording attributed
sales against one campaign at once never spend past its budget or cap, and batches that touch
two campaigns in opposite orders never deadlock (threads with their own connections)."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections

from revenue.models import RewardGrant, StatementLine
from revenue.periods import Period
from revenue.services import statement_generate
from scenarios.models import BundleItem, Campaign
from tests.revenue.rewards import CampaignFactory, attributed_sales, cashback, offer_record, sale

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and concurrent writers)")


def in_threads(targets) -> list:
    """Run each of ``targets`` in its own thread, released at once; their results or exceptions."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = targets[index]()
        except Exception as exc:  # noqa: BLE001
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def _batches(partner, scenario, n_threads: int, per_batch: int, reward: str, product="trip-installment"):
    return [
        [
            (
                sale(product=product, day=date(2026, 1, 10 + t)),
                offer_record(partner, scenario, product, cashback(reward)),
            )
            for _ in range(per_batch)
        ]
        for t in range(n_threads)
    ]


@pytest.mark.parametrize("cap", [None, 9])
def test_concurrent_sales_never_overspend_one_campaign(partner, scenario, products, agreement, cap):
    campaign = CampaignFactory(
        budget=Decimal("100.00"), count_cap=cap, funded_by="split", partner_share=Decimal("0.5")
    )
    BundleItem.objects.filter(scenario=scenario, product=products[0]).update(campaign=campaign)
    batches = _batches(partner, scenario, n_threads=6, per_batch=4, reward="7.00")  # 168.00 asked

    results = in_threads([lambda b=b: attributed_sales(partner, b) for b in batches])

    assert not [r for r in results if isinstance(r, Exception)], results
    campaign.refresh_from_db()
    grants = list(
        RewardGrant.objects.filter(campaign=campaign).values_list("amount", "partner_amount", "bank_amount")
    )
    assert sum(a for a, _p, _b in grants) == campaign.spent
    assert len(grants) == campaign.granted
    if cap is None:
        assert campaign.spent == Decimal("100.00")  # 14 × 7.00 and the last 2.00
        assert sorted(a for a, _p, _b in grants)[0] == Decimal("2.00")
        assert campaign.granted == 15
    else:
        assert (campaign.granted, campaign.spent) == (9, Decimal("63.00"))
    assert all(a == p + b for a, p, b in grants)


def test_batches_over_two_campaigns_in_opposite_orders_do_not_deadlock(
    partner, scenario, products, agreement
):
    first = CampaignFactory(budget=Decimal("50.00"))
    second = CampaignFactory(budget=Decimal("50.00"))
    BundleItem.objects.filter(scenario=scenario, product=products[0]).update(campaign=first)
    BundleItem.objects.filter(scenario=scenario, product=products[1]).update(campaign=second)
    installment = _batches(partner, scenario, n_threads=4, per_batch=3, reward="5.00")
    cover = _batches(partner, scenario, n_threads=4, per_batch=3, reward="5.00", product="trip-cover")
    batches = [a + b if t % 2 else b + a for t, (a, b) in enumerate(zip(installment, cover, strict=True))]

    results = in_threads([lambda b=b: attributed_sales(partner, b) for b in batches])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert [c.spent for c in Campaign.objects.order_by("pk")] == [Decimal("50.00"), Decimal("50.00")]


def test_a_statement_generated_while_sales_are_granted_deducts_each_grant_once(
    partner, scenario, products, agreement
):
    campaign = CampaignFactory(budget=Decimal("1000.00"), funded_by="partner", partner_share=Decimal(1))
    BundleItem.objects.filter(scenario=scenario, product=products[0]).update(campaign=campaign)
    batches = _batches(partner, scenario, n_threads=4, per_batch=3, reward="3.33")
    january = Period(date(2026, 1, 1), date(2026, 1, 31))
    february = Period(date(2026, 2, 1), date(2026, 2, 28))

    targets = [lambda b=b: attributed_sales(partner, b) for b in batches]
    targets.append(lambda: statement_generate(agreement_id=agreement.pk, period=january))
    results = in_threads(targets)
    statement_generate(agreement_id=agreement.pk, period=february)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert not RewardGrant.objects.filter(statement__isnull=True).exists()
    deducted = sum(line.share_amount for line in StatementLine.objects.filter(kind="reward"))
    assert -deducted == Decimal("39.96")
