"""``reconcile_bank_statement FILE``: the summary, the same file twice, unreadable files."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from payouts.models import BankStatementImport, PayoutStatusChange

from .camt import Tx, camt053_written

pytestmark = pytest.mark.django_db


def run(path) -> str:
    out = StringIO()
    call_command("reconcile_bank_statement", str(path), stdout=out)
    return out.getvalue()


def test_the_command_reconciles_and_prints_a_summary_and_twice_changes_nothing(batch, tmp_path):
    acme = batch.payouts.get(partner__slug="acme")
    path = tmp_path / "statement.xml"
    path.write_bytes(
        camt053_written(
            Tx(acme.end_to_end_id, "1050.50"),
            Tx("NOT-OURS", "3.00"),
            Tx(batch.payouts.get(partner__slug="other").end_to_end_id, "299.00"),
        )
    )

    first = run(path)
    assert "Entries: 3" in first
    assert "Matched: 1 (1,050.50\xa0CNY)" in first
    assert "Unknown end-to-end id: 1" in first
    assert "Amount or currency differs: 1" in first
    assert "Open for a decision: 2" in first
    assert "Already imported" not in first

    second = run(path)
    assert second.startswith("Already imported")
    assert "nothing changed" in second
    assert BankStatementImport.objects.count() == 1
    assert PayoutStatusChange.objects.count() == 1


def test_a_csv_file_is_reconciled_too(batch, tmp_path):
    other = batch.payouts.get(partner__slug="other")
    path = tmp_path / "statement.csv"
    path.write_text(
        "end_to_end_id,amount,currency,value_date,bank_reference,status\n"
        f"{other.end_to_end_id},300.00,CNY,2026-03-05,CSV-1,booked\n"
    )
    assert "Matched: 1 (300.00\xa0CNY)" in run(path)
    other.refresh_from_db()
    assert (other.status, other.bank_reference) == ("paid", "CSV-1")


def test_an_unreadable_file_exits_non_zero(db, tmp_path):
    with pytest.raises(CommandError) as missing:
        run(tmp_path / "nope.xml")
    assert "Cannot read" in str(missing.value)
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Document><unclosed></Document>")
    with pytest.raises(CommandError) as malformed:
        run(bad)
    assert "bad.xml: The XML is malformed (line 1)" in str(malformed.value)
    assert not BankStatementImport.objects.exists()
