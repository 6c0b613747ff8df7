"""Reconciliation: a bank entry matches a payout in payment only by end-to-end id AND amount AND
currency; the payout and the statements it pays become paid; everything else waits for a
person's decision; the same file twice changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from partners.models import Notification
from payouts.models import BankStatementEntry, BankStatementImport, Payout, PayoutBatch, PayoutStatusChange
from payouts.selectors import statements_in_live_batches
from payouts.services.reconcile import (
    ReconcileError,
    ReconcileNotAllowed,
    bank_entry_decide,
    bank_statement_import,
    open_exceptions,
    payout_return,
    payout_settle,
)
from revenue.models import Statement, StatementStatusChange

from .camt import Tx, camt053_written, fixture_v02

pytestmark = pytest.mark.django_db


def payouts(batch):
    return {p.partner.slug: p for p in batch.payouts.select_related("partner")}


def statuses(payout):
    return sorted((line.amount, line.statement.status) for line in payout.lines.select_related("statement"))


def test_a_matching_entry_pays_the_payout_and_its_statements(
    batch, clerk, django_capture_on_commit_callbacks
):
    acme = payouts(batch)["acme"]
    content = camt053_written(Tx(acme.end_to_end_id, "1050.50", reference="BNK-77"))
    with django_capture_on_commit_callbacks(execute=True):
        result = bank_statement_import(content=content, filename="s.xml", actor=clerk)

    acme.refresh_from_db()
    assert (acme.status, acme.value_date, acme.bank_reference) == ("paid", date(2026, 3, 5), "BNK-77")
    # The positive statements paid with the bank reference; the claw-back is not a payment.
    assert statuses(acme) == [
        (Decimal("-200.00"), "approved"),
        (Decimal("250.50"), "paid"),
        (Decimal("1000.00"), "paid"),
    ]
    paid = Statement.objects.filter(status="paid")
    assert {(s.paid_on, s.payout_reference) for s in paid} == {(date(2026, 3, 5), "BNK-77")}
    assert StatementStatusChange.objects.filter(to_status="paid", from_status="in_payment").count() == 2
    assert PayoutStatusChange.objects.get(payout=acme).changed_by == clerk
    imported = result.statement_import
    assert (imported.matched_count, imported.matched_amount, imported.exception_count) == (
        1,
        Decimal("1050.50"),
        0,
    )
    # other still in payment: the batch is not reconciled yet.
    batch.refresh_from_db()
    assert batch.status == "released"
    assert Notification.objects.filter(kind="payout.paid", partner=acme.partner).exists()


def test_the_batch_is_reconciled_when_every_payout_is_paid_or_returned(batch, clerk):
    found = payouts(batch)
    payout_settle(payout=found["acme"], value_date=date(2026, 3, 5), bank_reference="R1", actor=clerk)
    payout_return(payout=found["other"], reason="Account closed (AC04)", actor=clerk)
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.RECONCILED


def test_the_hand_made_fixture_sorts_every_entry(batch, clerk):
    found = payouts(batch)
    content = fixture_v02(
        acme_amount="1050.50", acme_e2e=found["acme"].end_to_end_id, other_e2e=found["other"].end_to_end_id
    )
    result = bank_statement_import(content=content, filename="v02.xml", actor=clerk)

    outcomes = list(result.statement_import.entries.values_list("outcome", flat=True))
    assert outcomes == ["matched", "amount", "unknown", "ignored", "ignored"]
    assert result.statement_import.statement_id == "STMT-2026-03-05"
    assert result.statement_import.exception_count == 2
    found["other"].refresh_from_db()
    # Another amount is never guessed: still in payment, its statement too.
    assert found["other"].status == "in_payment"
    assert statuses(found["other"]) == [(Decimal("300.00"), "in_payment")]


@pytest.mark.parametrize("version", ["02", "04", "08", "10"])
def test_any_camt053_version_is_read(batch, clerk, version):
    acme = payouts(batch)["acme"]
    result = bank_statement_import(
        content=camt053_written(Tx(acme.end_to_end_id, "1050.50"), version=version), filename="", actor=clerk
    )
    assert result.statement_import.matched_count == 1


def test_a_different_currency_is_not_a_match(batch, clerk):
    acme = payouts(batch)["acme"]
    bank_statement_import(
        content=camt053_written(Tx(acme.end_to_end_id, "1050.50", currency="USD")), filename="", actor=clerk
    )
    assert BankStatementEntry.objects.get().outcome == "amount"
    acme.refresh_from_db()
    assert acme.status == "in_payment"


def test_the_same_file_twice_changes_nothing(batch, clerk):
    acme = payouts(batch)["acme"]
    content = camt053_written(Tx(acme.end_to_end_id, "1050.50"), Tx("UNKNOWN-9", "1.00"))
    first = bank_statement_import(content=content, filename="a.xml", actor=clerk)
    changes = StatementStatusChange.objects.count()
    second = bank_statement_import(content=content, filename="again.xml", actor=clerk)

    assert (first.already, second.already) == (False, True)
    assert second.statement_import == first.statement_import
    assert BankStatementImport.objects.count() == 1
    assert BankStatementEntry.objects.count() == 2
    assert StatementStatusChange.objects.count() == changes


def test_the_same_payment_in_another_file_is_a_duplicate_for_a_decision(batch, clerk):
    acme = payouts(batch)["acme"]
    bank_statement_import(
        content=camt053_written(Tx(acme.end_to_end_id, "1050.50", reference="R-1")), filename="", actor=clerk
    )
    # Another file (another statement id) shows the same payment again.
    again = camt053_written(
        Tx(acme.end_to_end_id, "1050.50", reference="R-1"), Tx("X", "1.00", indicator="CRDT")
    )
    result = bank_statement_import(content=again, filename="", actor=clerk)
    assert list(result.statement_import.entries.values_list("outcome", flat=True)) == ["duplicate", "ignored"]
    assert PayoutStatusChange.objects.count() == 1


def test_two_entries_for_one_payout_in_one_file_pay_it_once(batch, clerk):
    acme = payouts(batch)["acme"]
    content = camt053_written(
        Tx(acme.end_to_end_id, "1050.50", reference="R-1"), Tx(acme.end_to_end_id, "1050.50", reference="R-2")
    )
    result = bank_statement_import(content=content, filename="", actor=clerk)
    assert list(result.statement_import.entries.values_list("outcome", flat=True)) == ["matched", "duplicate"]


def test_a_batched_entry_matches_each_transaction(batch, clerk):
    found = payouts(batch)
    content = camt053_written(
        grouped=[
            Tx(found["acme"].end_to_end_id, "1050.50", reference="A"),
            Tx(found["other"].end_to_end_id, "300.00", reference="B"),
        ]
    )
    result = bank_statement_import(content=content, filename="", actor=clerk)
    assert result.statement_import.matched_count == 2
    assert result.statement_import.matched_amount == Decimal("1350.50")
    batch.refresh_from_db()
    assert batch.status == "reconciled"


def test_a_return_waits_for_a_decision_then_the_statements_are_approved_again(
    batch, clerk, decider, django_capture_on_commit_callbacks
):
    acme = payouts(batch)["acme"]
    bank_statement_import(
        content=camt053_written(Tx(acme.end_to_end_id, "1050.50")), filename="", actor=clerk
    )
    returned = camt053_written(
        Tx(acme.end_to_end_id, "1050.50", indicator="CRDT", return_reason="AC04", reference="RET-1")
    )
    bank_statement_import(content=returned, filename="", actor=clerk)
    [entry] = open_exceptions()
    assert (entry.outcome, entry.payout, entry.return_reason) == ("returned", acme, "AC04 Account closed")
    acme.refresh_from_db()
    assert acme.status == "paid"  # nothing guessed

    with django_capture_on_commit_callbacks(execute=True):
        bank_entry_decide(entry=entry, decision="returned", reason="Bank says account closed", actor=decider)

    acme.refresh_from_db()
    assert acme.status == "returned"
    assert statuses(acme) == [
        (Decimal("-200.00"), "approved"),
        (Decimal("250.50"), "approved"),
        (Decimal("1000.00"), "approved"),
    ]
    assert not Statement.objects.filter(status="approved").exclude(paid_on=None).exists()
    assert Notification.objects.filter(kind="payout.returned", partner=acme.partner).exists()
    assert not open_exceptions().exists()
    # Its lines no longer hold the statements: the next batch takes them, claw-back included.
    ids = [line.statement_id for line in acme.lines.all()]
    assert statements_in_live_batches(statement_ids=ids) == (set(), {})


def test_a_reversal_is_a_return(batch, clerk):
    acme = payouts(batch)["acme"]
    content = camt053_written(Tx(acme.end_to_end_id, "1050.50", indicator="CRDT", reversal=True))
    bank_statement_import(content=content, filename="", actor=clerk)
    entry = BankStatementEntry.objects.get()
    assert (entry.outcome, entry.reversal) == ("returned", True)


def test_a_different_amount_is_accepted_as_paid_only_by_another_person_with_a_reason(batch, clerk, decider):
    acme = payouts(batch)["acme"]
    bank_statement_import(
        content=camt053_written(Tx(acme.end_to_end_id, "1050.00", reference="R-9")), filename="", actor=clerk
    )
    [entry] = open_exceptions()
    assert entry.outcome == "amount"

    with pytest.raises(ReconcileNotAllowed):
        bank_entry_decide(entry=entry, decision="accepted", reason="ok", actor=clerk)
    with pytest.raises(ReconcileError) as missing:
        bank_entry_decide(entry=entry, decision="accepted", reason="  ", actor=decider)
    assert missing.value.field == "reason"
    bank_entry_decide(entry=entry, decision="accepted", reason="Bank fee of 0.50 deducted", actor=decider)

    acme.refresh_from_db()
    entry.refresh_from_db()
    assert (acme.status, acme.bank_reference) == ("paid", "R-9")
    assert (entry.decision, entry.decided_by) == ("accepted", decider)
    with pytest.raises(ReconcileError):
        bank_entry_decide(entry=entry, decision="dismissed", reason="again", actor=decider)


def test_an_unknown_entry_can_only_be_dismissed(batch, clerk, decider):
    bank_statement_import(content=camt053_written(Tx("NOT-OURS", "5.00")), filename="", actor=clerk)
    [entry] = open_exceptions()
    with pytest.raises(ReconcileError):
        bank_entry_decide(entry=entry, decision="accepted", reason="guess", actor=decider)
    bank_entry_decide(entry=entry, decision="dismissed", reason="Bank's own fee", actor=decider)
    assert not open_exceptions().exists()


def test_importing_needs_the_permission(batch, decider, alice):
    with pytest.raises(ReconcileNotAllowed):
        bank_statement_import(content=camt053_written(Tx("X", "1.00")), filename="", actor=alice)
    assert not BankStatementImport.objects.exists()


def test_a_payout_not_in_payment_cannot_be_settled(batch, clerk):
    acme = payouts(batch)["acme"]
    payout_settle(payout=acme, value_date=date(2026, 3, 5), bank_reference="R", actor=clerk)
    with pytest.raises(Exception) as refused:
        payout_settle(payout=acme, value_date=date(2026, 3, 6), bank_reference="R2", actor=clerk)
    assert "Paid" in str(refused.value)
    assert Payout.objects.get(pk=acme.pk).bank_reference == "R"
