"""The one money aggregate (core.money.MoneySum): exact to the fen on SQLite and PostgreSQL.

SQLite adds a decimal column's values in binary floating point; Django's ``Sum`` hands back
``Decimal("0.300000000000000")`` for 0.10 + 0.20 and ``964385.209999999`` over a dashboard's
month. Every figure here is compared with Python's exact ``Decimal`` sum, exponent included."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.models import TransactionDaily
from core.money import MoneySum, money_sum_sql
from tests.factories import PartnerFactory
from tests.products.factories import ProductFactory

pytestmark = pytest.mark.django_db

# A day's amount of one product: a signed two-decimal figure up to the transaction limit.
amounts = st.decimals(min_value=Decimal("-100000000.00"), max_value=Decimal("100000000.00"), places=2)


@pytest.fixture
def owner(db):
    return PartnerFactory(slug="skyway"), ProductFactory(code="trip-installment")


def rows_of(owner, values, *, kinds=None):
    partner, product = owner
    TransactionDaily.objects.bulk_create(
        TransactionDaily(
            day=date(2000, 1, 1) + timedelta(days=i),
            partner=partner,
            scenario_code="travel-finance",
            product=product,
            kind=(kinds[i] if kinds else "sale"),
            count=1,
            amount=value,
        )
        for i, value in enumerate(values)
    )


class _Rollback(Exception):
    """Undo one example's rows: hypothesis runs many examples in one test database."""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(amounts, min_size=1, max_size=400))
def test_a_money_sum_equals_the_exact_decimal_sum_to_the_fen(owner, values):
    try:
        with transaction.atomic():
            rows_of(owner, values)
            total = TransactionDaily.objects.aggregate(total=MoneySum("amount"))["total"]
            exact = sum(values, Decimal("0.00"))
            assert (str(total), total) == (str(exact), exact)
            raise _Rollback
    except _Rollback:
        pass


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.tuples(amounts, st.sampled_from(["sale", "refund"])), min_size=1, max_size=200))
def test_grouped_and_filtered_money_sums_are_exact(owner, values):
    try:
        with transaction.atomic():
            rows_of(owner, [v for v, _k in values], kinds=[k for _v, k in values])
            by_kind = dict(
                TransactionDaily.objects.values_list("kind").annotate(t=MoneySum("amount")).order_by()
            )
            sold = TransactionDaily.objects.aggregate(
                sold=MoneySum("amount", filter=Q(kind="sale"), default=Decimal("0.00"))
            )["sold"]
            for kind in ("sale", "refund"):
                exact = [v for v, k in values if k == kind]
                if exact:
                    assert str(by_kind[kind]) == str(sum(exact, Decimal("0.00")))
            assert str(sold) == str(sum((v for v, k in values if k == "sale"), Decimal("0.00")))
            raise _Rollback
    except _Rollback:
        pass


def test_float_garbage_of_a_plain_sum_is_gone(owner):
    """0.10 + 0.20 + … is the textbook case binary floating point gets wrong."""
    rows_of(owner, [Decimal("0.10"), Decimal("0.20"), Decimal("964384.91")])

    total = TransactionDaily.objects.aggregate(total=MoneySum("amount"))["total"]

    assert str(total) == "964385.21"


def test_it_sums_an_expression_of_amounts_and_compares_in_yuan(owner):
    rows_of(owner, [Decimal("0.10"), Decimal("0.20"), Decimal("0.05")], kinds=["sale", "sale", "refund"])

    rows = (
        TransactionDaily.objects.values("kind")
        .annotate(doubled=MoneySum(F("amount") + F("amount")))
        # In SQL the sum is in yuan (not in fen), so HAVING compares like with like.
        .filter(doubled__gt=Decimal("0.59"), doubled__lt=Decimal("0.61"))
        .order_by()
    )

    assert [(r["kind"], str(r["doubled"])) for r in rows] == [("sale", "0.60")]


def test_an_empty_set_is_none_or_the_default(owner):
    empty = TransactionDaily.objects.filter(kind="nothing")

    figures = empty.aggregate(total=MoneySum("amount"), zero=MoneySum("amount", default=Decimal("0.00")))

    assert figures["total"] is None
    assert str(figures["zero"]) == "0.00"


def test_the_default_must_be_a_decimal():
    with pytest.raises(TypeError):
        MoneySum("amount", default=0)


def test_hand_written_roll_up_sql_sums_exactly(owner):
    rows_of(owner, [Decimal("0.10")] * 10 + [Decimal("0.20")] * 7)
    table = TransactionDaily._meta.db_table

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {money_sum_sql('amount', vendor=connection.vendor)} FROM {table}")
        (value,) = cursor.fetchone()

    assert Decimal(str(value)) == Decimal("2.40")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the floating-point sum is SQLite's")
def test_on_sqlite_a_plain_sum_would_show_float_garbage(owner):
    """What the helper is for: Django's own Sum over the same rows is not a fen amount."""
    rows_of(owner, [Decimal("0.10"), Decimal("0.20")])

    plain = TransactionDaily.objects.aggregate(total=Sum("amount"))["total"]

    assert str(plain) != "0.30"
