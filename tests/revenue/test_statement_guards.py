"""Approved and paid statements are guarded below the services: the database refuses a change
of their amounts, period or bounds and the deletion of them, their lines and their status
history, whether it comes through the ORM or raw SQL. Drafts stay free, and the moves onward
(approved → paid, the payout fields) keep working."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from revenue import services
from revenue.models import Statement, StatementLine, StatementStatusChange

from .factories import item, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(partner, agreement):
    record(
        partner,
        item(amount="100.00", external_id="g-sale"),
        item(amount="40.00", kind="refund", refund_of="g-sale"),
    )
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    return Statement.objects.get()


@pytest.fixture
def approved(statement, maker, checker):
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker, reason="checked")
    statement.refresh_from_db()
    return statement


@pytest.fixture
def paid(approved, maker):
    services.statement_pay(
        statement=approved, actor=maker, payout_reference="TRF-2026-0001", paid_on=date(2026, 2, 5)
    )
    approved.refresh_from_db()
    return approved


def refused(sql: str, params=()) -> None:
    with (
        pytest.raises(DatabaseError, match="revenue statement is approved"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def refused_orm(action) -> None:
    with pytest.raises(DatabaseError, match="revenue statement is approved"), transaction.atomic():
        action()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("share_amount", "1.00"),
        ("gross_amount", "1.00"),
        ("adjustment_amount", "5.00"),
        ("transaction_count", 99),
        ("period_end", date(2026, 2, 28)),
        ("ledger_through", 0),
        ("currency", "USD"),
    ],
)
def test_sql_cannot_change_the_money_or_period_of_an_approved_statement(approved, column, value):
    refused(f"UPDATE revenue_statement SET {column} = %s WHERE id = %s", [value, approved.pk])

    approved.refresh_from_db()
    assert approved.share_amount == Decimal("18.00")
    assert approved.period_end == date(2026, 1, 31)


def test_the_orm_cannot_change_the_share_of_an_approved_statement(approved):
    refused_orm(lambda: Statement.objects.filter(pk=approved.pk).update(share_amount=Decimal("9999.00")))
    approved.share_amount = Decimal("9999.00")
    refused_orm(approved.save)

    assert Statement.objects.get(pk=approved.pk).share_amount == Decimal("18.00")


def test_an_approved_statement_cannot_go_back_to_draft(approved):
    refused("UPDATE revenue_statement SET status = 'draft' WHERE id = %s", [approved.pk])

    assert Statement.objects.get(pk=approved.pk).status == "approved"


def test_a_paid_statement_cannot_be_changed_either(paid):
    refused("UPDATE revenue_statement SET share_amount = 0 WHERE id = %s", [paid.pk])
    refused("UPDATE revenue_statement SET approved_by_id = prepared_by_id WHERE id = %s", [paid.pk])


def test_approved_and_paid_statements_cannot_be_deleted(approved, paid):
    refused_orm(lambda: Statement.objects.filter(pk=paid.pk).delete())
    refused("DELETE FROM revenue_statement WHERE id = %s", [paid.pk])

    assert Statement.objects.filter(pk=paid.pk).exists()


def test_the_lines_of_an_approved_statement_cannot_be_changed_added_or_deleted(approved):
    line = approved.lines.get(kind="sale")
    refused("UPDATE revenue_statementline SET share_amount = 1000 WHERE id = %s", [line.pk])
    refused_orm(lambda: StatementLine.objects.filter(pk=line.pk).delete())
    refused("DELETE FROM revenue_statementline WHERE statement_id = %s", [approved.pk])
    refused_orm(
        lambda: StatementLine.objects.create(
            statement=approved, scenario_code=approved.scenario_code, kind="adjustment", share_amount=5
        )
    )

    assert approved.lines.count() == 2
    assert StatementLine.objects.get(pk=line.pk).share_amount == line.share_amount


def test_the_status_history_of_an_approved_statement_cannot_be_changed_or_deleted(approved):
    refused_orm(lambda: StatementStatusChange.objects.filter(statement=approved).delete())
    refused(
        "UPDATE revenue_statementstatuschange SET reason = 'nothing to see' WHERE statement_id = %s",
        [approved.pk],
    )

    assert list(
        StatementStatusChange.objects.filter(statement=approved)
        .order_by("id")
        .values_list("to_status", "reason")
    ) == [("draft", "generated"), ("approved", "checked")]


def test_an_approved_statement_is_still_paid_with_its_payout_fields(approved, maker, checker):
    services.statement_pay(
        statement=approved, actor=maker, payout_reference="TRF-2026-0002", paid_on=date(2026, 2, 6)
    )
    services.statement_payout_confirm(statement=approved, actor=checker)

    approved.refresh_from_db()
    assert (approved.status, approved.payout_reference) == ("paid", "TRF-2026-0002")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE revenue_statement SET payout_reference = 'TRF-FIXED' WHERE id = %s", [approved.pk]
        )
    assert Statement.objects.get(pk=approved.pk).payout_reference == "TRF-FIXED"


def test_a_draft_statement_stays_free(statement):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE revenue_statementline SET position = position + 10 WHERE statement_id = %s",
            [statement.pk],
        )
        cursor.execute(
            "UPDATE revenue_statement SET share_amount = share_amount WHERE id = %s", [statement.pk]
        )
    StatementStatusChange.objects.filter(statement=statement).delete()
    StatementLine.objects.filter(statement=statement).delete()
    Statement.objects.filter(pk=statement.pk).delete()

    assert not Statement.objects.exists()
