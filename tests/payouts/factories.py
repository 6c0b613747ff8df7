"""Released payout batches made directly with the models (the batch builder is another area's):
built by a finance maker, released by a second person, each payout in payment with its netting
lines, its positive statements in payment and its claw-backs approved."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from django.utils import timezone

from payouts.models import PayeeAccount, Payout, PayoutBatch, PayoutLine
from revenue.models import Agreement, Statement
from scenarios.models import Scenario

from ..revenue.factories import agreement_in_force, join, scenario_with_products

_ids = itertools.count(1)


def _scenario() -> Scenario:
    return Scenario.objects.filter(code="travel-finance").first() or scenario_with_products()[0]


def _agreement(partner, maker, checker) -> Agreement:
    agreement = Agreement.objects.filter(partner=partner).first()
    if agreement is None:
        scenario = _scenario()
        join(partner, scenario)
        agreement = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    return agreement


def payee_account(partner, currency: str = "CNY") -> PayeeAccount:
    account = PayeeAccount.objects.filter(partner=partner, currency=currency, status="verified").first()
    if account:
        return account
    now = timezone.now()
    return PayeeAccount.objects.create(
        partner=partner,
        account_name=partner.display_name,
        bank_name="Bank of Example",
        branch_name="Pudong",
        cnaps_code="102290000000",
        account_number_encrypted="encrypted",
        account_number_last4="6789",
        currency=currency,
        status="verified",
        verified_at=now,
        effective_at=now,
    )


def statement(partner, agreement, amount: str, *, status: str) -> Statement:
    n = next(_ids)
    start = date(2020 + n // 12, n % 12 + 1, 1)
    return Statement.objects.create(
        agreement=agreement,
        partner=partner,
        scenario_code=agreement.scenario_code,
        period_start=start,
        period_end=start.replace(day=28),
        status=status,
        gross_amount=abs(Decimal(amount)) * 10,
        share_amount=Decimal(amount),
    )


def released_batch(
    *, maker, releaser, payouts: dict, currency: str = "CNY", execution: date = date(2026, 3, 5)
) -> PayoutBatch:
    """``payouts``: partner → the share amounts of its statements (negative: a claw-back taken
    whole). Answers the batch; each payout's ``end_to_end_id`` is ``E2E-<batch>-<partner slug>``."""
    n = next(_ids)
    batch = PayoutBatch.objects.create(
        currency=currency,
        status=PayoutBatch.Status.RELEASED,
        requested_execution_date=execution,
        message_id=f"FNB-{n:06d}",
        created_by=maker,
        released_by=releaser,
        released_at=timezone.now(),
    )
    total = Decimal("0")
    for partner, amounts in payouts.items():
        agreement = _agreement(partner, maker, releaser)
        net = sum((Decimal(a) for a in amounts), Decimal("0"))
        payout = Payout.objects.create(
            batch=batch,
            partner=partner,
            payee_account=payee_account(partner, currency),
            currency=currency,
            amount=net,
            end_to_end_id=f"E2E-{n}-{partner.slug}"[:35],
            status=Payout.Status.IN_PAYMENT,
        )
        for position, amount in enumerate(amounts):
            status = Statement.Status.IN_PAYMENT if Decimal(amount) > 0 else Statement.Status.APPROVED
            PayoutLine.objects.create(
                batch=batch,
                payout=payout,
                partner=partner,
                statement=statement(partner, agreement, amount, status=status),
                amount=Decimal(amount),
                position=position,
            )
        total += net
    PayoutBatch.objects.filter(pk=batch.pk).update(payment_count=len(payouts), total_amount=total)
    batch.refresh_from_db()
    return batch
