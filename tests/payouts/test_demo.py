"""The payouts demo (seed_demo): Skyway Travel's verified account in force and verified
invoice, a batch built, released and reconciled through the services; a second run changes
nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from payouts.demo import camt053_for, open_clawbacks
from payouts.models import BankStatementImport, PayeeAccount, Payout, PayoutBatch, VatInvoice
from payouts.selectors import payee_account_in_force
from revenue.models import Statement

pytestmark = pytest.mark.django_db


def _state():
    return {
        "accounts": sorted(PayeeAccount.objects.values_list("pk", "status", "effective_at")),
        "invoices": sorted(VatInvoice.objects.values_list("pk", "status")),
        "batches": sorted(PayoutBatch.objects.values_list("pk", "status")),
        "payouts": sorted(Payout.objects.values_list("pk", "status", "amount")),
        "imports": BankStatementImport.objects.count(),
        "statements": sorted(Statement.objects.values_list("pk", "status")),
    }


def test_seed_demo_pays_skyway_through_the_services_and_is_idempotent(settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=StringIO())

    account = PayeeAccount.objects.get(partner__slug="skyway-travel", status="verified")
    assert account.submitted_by.email == "owner@skyway-travel.demo"
    assert account.verified_by.email == "checker@demo.local"
    assert account.account_name == account.partner.legal_name
    assert payee_account_in_force(partner_id=account.partner_id, currency="CNY", at=timezone.now()) == account

    invoice = VatInvoice.objects.get(partner=account.partner)
    assert invoice.status == "verified"
    assert invoice.total_amount > 0
    assert invoice.amount_before_tax + invoice.tax_amount == invoice.total_amount
    assert invoice.reviewed_by.email == "checker@demo.local"
    assert invoice.file.read(5) == b"%PDF-"

    batch = PayoutBatch.objects.get()
    assert batch.status == "reconciled"
    assert batch.created_by.email == "maker@demo.local"
    assert batch.released_by.email == "checker@demo.local"
    payout = batch.payouts.get()
    assert payout.status == "paid"
    assert payout.partner_id == account.partner_id
    assert payout.payee_account == account
    assert payout.amount == invoice.total_amount
    statements = Statement.objects.filter(pk__in=batch.lines.values("statement"))
    assert [s.status for s in statements] == ["paid"]
    assert statements.get() == invoice.statement
    imported = BankStatementImport.objects.get()
    assert imported.matched_count == 1
    assert imported.exception_count == 0
    assert imported.imported_by.email == "maker@demo.local"
    # The camt.053 is built in memory from the batch, the same bytes every time.
    assert camt053_for(batch) == camt053_for(batch)

    # One open claw-back: Greenleaf's approved statement, refunds of earlier sales exceeding
    # its period's sales, in no batch, all of it still owed back.
    [(clawback, owed)] = open_clawbacks()
    assert clawback.partner.slug == "greenleaf-community"
    assert clawback.status == "approved"
    assert clawback.share_amount + clawback.adjustment_amount == -owed
    assert owed > 0

    before = _state()
    call_command("seed_demo", stdout=StringIO())
    assert _state() == before
