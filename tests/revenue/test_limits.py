"""One limit for a transaction's amount (the ledger service, so the API and imports alike, and
the database), and totals wide enough for the largest period that limit allows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from revenue.exceptions import TransactionInvalid
from revenue.models import Statement, StatementLine, Transaction
from revenue.models.agreements import TOTAL
from revenue.money import TRANSACTION_AMOUNT_MAX
from revenue.services import settlement_start
from tests.api.factories import api_partner, auth, issue

from .factories import agreement_in_force, item, join, record

pytestmark = pytest.mark.django_db


def test_the_totals_hold_every_period_the_limits_allow():
    largest_total = (2**31 - 1) * TRANSACTION_AMOUNT_MAX
    widest = Decimal(10) ** (TOTAL["max_digits"] - TOTAL["decimal_places"])
    assert largest_total < widest
    for model in (Statement, StatementLine):
        for name in ("gross_amount", "share_amount"):
            assert model._meta.get_field(name).max_digits == TOTAL["max_digits"]
    assert Statement._meta.get_field("adjustment_amount").max_digits == TOTAL["max_digits"]


def test_an_amount_over_the_limit_is_refused_naming_the_field(partner, agreement):
    with pytest.raises(TransactionInvalid) as refused:
        record(partner, item(amount="100000000.01"), item(amount="1.00"))

    assert refused.value.field == "transactions.0.amount"
    assert not Transaction.objects.exists()


def test_an_amount_over_the_products_own_maximum_is_refused(partner, agreement, products):
    products[0].max_amount = Decimal("50000.00")
    products[0].save()

    with pytest.raises(TransactionInvalid) as refused:
        record(partner, item(amount="1.00"), item(product=products[0].code, amount="50000.01"))

    assert refused.value.field == "transactions.1.amount"
    assert "50,000.00" in str(refused.value)
    assert record(partner, item(product=products[0].code, amount="50000.00")).created == 1


def test_the_database_refuses_an_amount_over_the_limit(partner, agreement, scenario, products):
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(
            partner=partner,
            external_id="too-big",
            scenario=scenario,
            scenario_code=scenario.code,
            product=products[0],
            kind="sale",
            amount=TRANSACTION_AMOUNT_MAX + Decimal("0.01"),
            occurred_at=timezone.now(),
            occurred_on=timezone.localdate(),
            received_at=timezone.now(),
            content_hash="x",
        )


def test_a_statement_of_many_rows_at_the_limit_settles_and_is_served(maker, checker, scenario, products):
    partner = api_partner("big-spender")
    join(partner, scenario)
    agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    for product in products:
        product.max_amount = None
        product.save()
    record(partner, *[item(amount=str(TRANSACTION_AMOUNT_MAX), day=date(2026, 1, 5)) for _ in range(7)])

    run = settlement_start(through=date(2026, 1, 31), trigger="command")

    assert run.status == "succeeded", run.errors
    statement = Statement.objects.get()
    assert statement.gross_amount == TRANSACTION_AMOUNT_MAX * 7
    assert statement.share_amount == Decimal("210000000.00")
    client = APIClient()
    answer = client.get(f"/api/v1/statements/{statement.pk}/", **auth(issue(partner).key))
    assert answer.status_code == 200
    assert answer.json()["gross_amount"] == "700000000.00"
