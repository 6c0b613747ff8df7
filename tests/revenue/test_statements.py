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


def test_a_statement_goes_from_draft_through_approval_and_a_confirmed_payout_to_paid(
    statement, maker, checker
):
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker, reason="checked")
    services.statement_pay(
        statement=statement, actor=maker, payout_reference="TRF-2026-0001", paid_on=date(2026, 2, 5)
    )
    statement.refresh_from_db()
    assert (statement.status, statement.payout_recorded_by) == ("recorded", maker)

    services.statement_payout_confirm(statement=statement, actor=checker, reason="seen on the bank statement")

    statement.refresh_from_db()
    assert (
        statement.status,
        statement.payout_reference,
        statement.paid_on,
        statement.payout_confirmed_by,
    ) == (
        "paid",
        "TRF-2026-0001",
        date(2026, 2, 5),
        checker,
    )
    assert list(
        StatementStatusChange.objects.filter(statement=statement)
        .order_by("id")
        .values_list("from_status", "to_status", "changed_by__email", "reason")
    ) == [
        ("", "draft", None, "generated"),
        ("draft", "approved", "checker@bank.example", "checked"),
        ("approved", "recorded", "maker@bank.example", "Payout TRF-2026-0001 of 2026-02-05 recorded."),
        ("recorded", "paid", "checker@bank.example", "seen on the bank statement"),
    ]


def _recorded(statement, maker, checker):
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker)
    return services.statement_pay(
        statement=statement, actor=maker, payout_reference="TRF-1", paid_on=date(2026, 2, 5)
    )


def test_whoever_recorded_a_payout_cannot_confirm_it_not_even_a_superuser(statement, maker, checker):
    _recorded(statement, maker, checker)
    maker.is_superuser = True
    maker.save()

    with pytest.raises(MakerCheckerViolation, match="you recorded its payout"):
        services.statement_payout_confirm(statement=statement, actor=maker)
    with pytest.raises(MakerCheckerViolation):
        services.statement_payout_return(statement=statement, actor=maker, reason="mine")

    statement.refresh_from_db()
    assert (statement.status, statement.payout_confirmed_by) == ("recorded", None)


def test_a_finance_maker_without_the_permission_cannot_confirm_a_payout(
    statement, maker, checker, staff_roles
):
    from revenue.exceptions import RevenueNotAllowed

    from .factories import finance_staff

    _recorded(statement, maker, checker)
    other_maker = finance_staff(staff_roles, "other-maker@bank.example", "Finance makers")

    with pytest.raises(RevenueNotAllowed):
        services.statement_payout_confirm(statement=statement, actor=other_maker)


def test_a_payout_sent_back_is_approved_again_and_its_trail_keeps_what_was_recorded(
    statement, maker, checker
):
    _recorded(statement, maker, checker)

    with pytest.raises(RevenueError):
        services.statement_payout_return(statement=statement, actor=checker, reason=" ")
    services.statement_payout_return(statement=statement, actor=checker, reason="wrong reference")

    statement.refresh_from_db()
    assert (
        statement.status,
        statement.payout_reference,
        statement.paid_on,
        statement.payout_recorded_by,
    ) == (
        "approved",
        "",
        None,
        None,
    )
    change = StatementStatusChange.objects.filter(statement=statement).order_by("id").last()
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "recorded",
        "approved",
        checker,
        "Payout TRF-1 of 2026-02-05 sent back: wrong reference",
    )
    services.statement_pay(
        statement=statement, actor=maker, payout_reference="TRF-2", paid_on=date(2026, 2, 6)
    )
    services.statement_payout_confirm(statement=statement, actor=checker)
    statement.refresh_from_db()
    assert (statement.status, statement.payout_reference) == ("paid", "TRF-2")


def test_an_approved_statement_cannot_be_confirmed_paid_without_a_recorded_payout(statement, maker, checker):
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker)

    with pytest.raises(StatusMoveInvalid):
        services.statement_payout_confirm(statement=statement, actor=checker)


def test_the_database_refuses_a_payout_confirmed_by_its_recorder(statement, maker, checker):
    _recorded(statement, maker, checker)

    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(status="paid", payout_confirmed_by=maker)


def test_partners_see_a_recorded_payout_as_approved_until_it_is_confirmed(statement, maker, checker):
    from revenue.api import StatementSerializer

    _recorded(statement, maker, checker)
    statement = Statement.objects.prefetch_related("lines").get(pk=statement.pk)

    assert (statement.status, StatementSerializer(statement).data["status"]) == ("recorded", "approved")


def test_the_preparer_cannot_approve_even_as_a_superuser(statement, maker, staff_roles):
    maker.is_superuser = True
    maker.save()
    services.statement_prepare(statement=statement, actor=maker)

    with pytest.raises(MakerCheckerViolation):
        services.statement_approve(statement=statement, actor=maker)


def test_an_unprepared_statement_cannot_be_approved(statement, checker):
    with pytest.raises(RevenueError):
        services.statement_approve(statement=statement, actor=checker)


def test_a_draft_cannot_be_paid(statement, maker):
    with pytest.raises(StatusMoveInvalid):
        services.statement_pay(
            statement=statement, actor=maker, payout_reference="X", paid_on=date(2026, 2, 5)
        )


def test_approval_publishes_a_webhook_event(statement, maker, checker, partner):
    from partners.models import WebhookDelivery, WebhookEndpoint

    WebhookEndpoint.objects.create(
        partner=partner,
        url="https://hooks.example/revenue",
        events=["statement.approved"],
        secret_encrypted="x",
        secret_hint="x",
    )
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker)

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
