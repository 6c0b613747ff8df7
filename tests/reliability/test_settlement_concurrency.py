"""Exactly-once settlement and ingestion under concurrency, on PostgreSQL (threads with their
own connections, committed data)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections

from revenue.models import Statement, StatementLine, Transaction
from revenue.periods import Period
from revenue.selectors import statement_transactions, with_statement
from revenue.services import settlement_start, statement_generate, transactions_record
from tests.revenue.factories import agreement_in_force, item, record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and concurrent writers)")


def in_threads(target, n: int = 4) -> list:
    """Run ``target()`` in ``n`` threads released at once; their results or exceptions."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # noqa: BLE001
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_the_same_period_settled_concurrently_gives_one_statement(partner, agreement):
    record(partner, *[item(amount="10.00", day=date(2026, 1, d)) for d in range(1, 29)])

    results = in_threads(
        lambda: statement_generate(
            agreement_id=agreement.pk, period=Period(date(2026, 1, 1), date(2026, 1, 31))
        )
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 1
    statement = Statement.objects.get()
    assert statement.transaction_count == 28
    assert statement.share_amount == Decimal("84.00")
    assert statement_transactions(statement).count() == 28


def test_two_runs_at_once_leave_one_statement_per_period(
    maker, checker, partner, scenario, joined, monkeypatch
):
    # Tasks run eagerly here, each run's chain in its own thread. Celery's guard against joining a
    # result inside a task is one flag for the whole process, so one thread's eager task would
    # trip another's chain (a worker runs each chain in its own process): the guard is off here.
    monkeypatch.setattr("celery.result.assert_will_not_block", lambda: None)
    agreement = agreement_in_force(
        maker=maker,
        checker=checker,
        partner=partner,
        scenario=scenario,
        cycle="daily",
        effective_from=date(2026, 1, 1),
    )
    record(partner, *[item(amount="10.00", day=date(2026, 1, 1) + timedelta(days=d)) for d in range(20)])

    results = in_threads(lambda: settlement_start(through=date(2026, 1, 20), trigger="command"), n=3)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Statement.objects.filter(agreement=agreement).count() == 20
    assert StatementLine.objects.count() == 20
    assert not with_statement(Transaction.objects.all()).filter(statement_id__isnull=True).exists()


def test_settling_twice_changes_nothing(partner, agreement):
    record(partner, item(amount="10.00", day=date(2026, 1, 5)))
    settlement_start(through=date(2026, 1, 31), trigger="command")
    before = list(Statement.objects.values_list("id", "share_amount", "transaction_count"))

    settlement_start(through=date(2026, 1, 31), trigger="command")

    assert list(Statement.objects.values_list("id", "share_amount", "transaction_count")) == before


def test_concurrent_identical_batches_store_each_transaction_once(partner, joined):
    batch = [item(external_id=f"order-{i}", amount="12.34") for i in range(200)]

    results = in_threads(lambda: transactions_record(partner=partner, items=batch), n=4)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 200
    assert sum(r.duplicates for r in results) == 600
    assert Transaction.objects.count() == 200
    ids = {tuple(i for _e, i, _s in r.results) for r in results}
    assert len(ids) == 1  # every caller got the same ids back


def test_the_trigger_refuses_raw_updates_and_deletes(partner, joined):
    record(partner, item(amount="10.00"))
    table = Transaction._meta.db_table

    for sql in (
        f"UPDATE {table} SET amount = 99",
        f"UPDATE {table} SET occurred_on = '2020-01-01'",
        f"DELETE FROM {table}",
    ):
        with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
            cursor.execute(sql)

    assert Transaction.objects.get().amount == Decimal("10.00")


def test_recording_while_a_period_is_settled_counts_every_transaction_once(partner, agreement):
    """Batches for January keep arriving while January is settled: each transaction ends up in
    exactly one statement — January's if it was recorded before the statement, February's as an
    adjustment if after — and each statement's count is the set its ledger bounds name."""
    january, february = (
        Period(date(2026, 1, 1), date(2026, 1, 31)),
        Period(date(2026, 2, 1), date(2026, 2, 28)),
    )
    record(partner, *[item(amount="10.00", day=date(2026, 1, 1 + d % 28)) for d in range(50)])
    stop = threading.Event()

    def recorder() -> int:
        batches = after = 0
        while after < 2 and batches < 60:  # until two batches after January is settled
            record(partner, *[item(amount="1.00", day=date(2026, 1, 1 + d % 28)) for d in range(25)])
            batches += 1
            after += stop.is_set()
        return batches

    def settler() -> Statement:
        try:
            return statement_generate(agreement_id=agreement.pk, period=january).statement
        finally:
            stop.set()

    turns = iter([settler, recorder, recorder])
    lock = threading.Lock()

    def one_of_them():
        with lock:
            job = next(turns)
        return job()

    results = in_threads(one_of_them, n=3)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert any(isinstance(r, Statement) for r in results)
    assert sum(r for r in results if isinstance(r, int)) >= 2
    statement_generate(agreement_id=agreement.pk, period=february)

    ledger = with_statement(Transaction.objects.all())
    assert not ledger.filter(statement_id__isnull=True).exists()
    held: dict[int, int] = {}
    for statement in Statement.objects.all():
        ids = set(statement_transactions(statement).values_list("pk", flat=True))
        assert len(ids) == statement.transaction_count
        assert ids == set(ledger.filter(statement_id=statement.pk).values_list("pk", flat=True))
        for pk in ids:
            held[pk] = held.get(pk, 0) + 1
    assert held == dict.fromkeys(Transaction.objects.values_list("pk", flat=True), 1)
    jan, feb = Statement.objects.order_by("period_start")
    assert feb.lines.filter(kind="adjustment", adjusts=jan).exists()  # the late arrivals
    total = sum(t.amount for t in Transaction.objects.all())
    assert jan.gross_amount + sum(line.gross_amount for line in feb.lines.all()) == total
