"""Statements: prepared by a maker, approved by another person, paid with a reference; the
amounts never change; the ledger refuses changes in the database itself."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from revenue import services
from revenue.exceptions import LedgerImmutable, MakerCheckerViolation, RevenueError, StatusMoveInvalid
from revenue.models import Statement, StatementStatusChange, Transaction
from revenue.selectors import statement_transactions, with_statement

from .factories import item, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(partner, agreement):
    record(partner, item(amount="100.00"))
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    return Statement.objects.get()


def test_a_statement_goes_from_draft_through_approval_to_paid(statement, maker, checker):
    services.statement_prepare(statement=statement, by=maker)
    services.statement_approve(statement=statement, by=checker, reason="checked")
    services.statement_pay(
        statement=statement, by=maker, payout_reference="TRF-2026-0001", paid_on=date(2026, 2, 5)
    )

    statement.refresh_from_db()
    assert (statement.status, statement.payout_reference, statement.paid_on) == (
        "paid",
        "TRF-2026-0001",
        date(2026, 2, 5),
    )
    assert list(
        StatementStatusChange.objects.filter(statement=statement)
        .order_by("id")
        .values_list("from_status", "to_status")
    ) == [("", "draft"), ("draft", "approved"), ("approved", "paid")]


def test_the_preparer_cannot_approve_even_as_a_superuser(statement, maker, staff_roles):
    maker.is_superuser = True
    maker.save()
    services.statement_prepare(statement=statement, by=maker)

    with pytest.raises(MakerCheckerViolation):
        services.statement_approve(statement=statement, by=maker)


def test_an_unprepared_statement_cannot_be_approved(statement, checker):
    with pytest.raises(RevenueError):
        services.statement_approve(statement=statement, by=checker)


def test_a_draft_cannot_be_paid(statement, maker):
    with pytest.raises(StatusMoveInvalid):
        services.statement_pay(statement=statement, by=maker, payout_reference="X", paid_on=date(2026, 2, 5))


def test_approval_publishes_a_webhook_event(statement, maker, checker, partner):
    from partners.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.create(
        partner=partner,
        url="https://hooks.example/revenue",
        events=["statement.approved"],
        secret_encrypted="x",
        secret_hint="x",
    )
    services.statement_prepare(statement=statement, by=maker)
    services.statement_approve(statement=statement, by=checker)

    delivery = WebhookDelivery.objects.get(event="statement.approved")
    assert delivery.payload["statement"] == statement.pk
    assert delivery.payload["share_amount"] == "30.00"


def test_the_database_refuses_changing_a_transactions_amount(partner, agreement):
    record(partner, item(amount="100.00"))
    table = Transaction._meta.db_table

    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET amount = 1")

    assert Transaction.objects.get().amount == 100


def test_the_database_refuses_deleting_a_transaction(partner, agreement):
    record(partner, item(amount="100.00"))

    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Transaction.objects.all().delete()

    assert Transaction.objects.count() == 1


def test_a_settled_transaction_is_never_changed(statement, partner):
    tx = Transaction.objects.get()
    with pytest.raises(LedgerImmutable, match="append-only"):
        Transaction.objects.update(late=True)
    with pytest.raises(LedgerImmutable, match="append-only"):
        tx.save()
    with pytest.raises(LedgerImmutable, match="append-only"):
        tx.delete()
    table = Transaction._meta.db_table
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET late = %s", [True])

    assert list(statement_transactions(statement)) == [tx]
    assert with_statement(Transaction.objects.all()).get().statement_id == statement.pk
