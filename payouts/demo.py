"""Demo payouts (idempotent; runs after ``revenue.demo``, whose statements it pays): Skyway
Travel's payee account entered by its owner and verified by the demo checker, a VAT invoice for
its approved statement verified by the checker, one batch built by the demo finance maker and
released by the checker, reconciled by importing a camt.053 statement (built here, in memory,
from the released batch) as the maker. Everything goes through the services, so four eyes hold.
The open claw-back is ``revenue.demo``'s (Greenleaf Community), left out of the demo batch.

A second run finds each step done and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from fpdf import FPDF
from lxml import etree
from lxml.builder import ElementMaker

from core.fen import to_fen
from partners.models import Partner
from revenue.models import Statement

from .models import PayeeAccount, Payout, PayoutBatch, PayoutLine, VatInvoice
from .selectors import payee_account_in_force, statements_in_live_batches
from .services import (
    invoice_record,
    invoice_verify,
    payee_account_submit,
    payee_account_verify,
    statement_total,
    tax_for,
)
from .services.batches import payout_batch_build, payout_batch_release
from .services.reconcile import bank_statement_import

PARTNER = "skyway-travel"
OWNER = "owner@skyway-travel.demo"
MAKER, CHECKER = "maker@demo.local", "checker@demo.local"
CAMT_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
VAT_RATE = Decimal("0.06")
# A demo bank account: Bank of China, Shanghai branch.
BANK, BRANCH, CNAPS, NUMBER = "Bank of China", "Shanghai Pudong Branch", "104290003791", "6217850100001234567"


def _user(email: str):
    return get_user_model().objects.filter(email=email).first()


def _account(partner: Partner, owner, checker) -> PayeeAccount:
    """The owner enters the account (named as the legal name), the checker verifies it."""
    account = PayeeAccount.objects.filter(
        partner=partner, status__in=(PayeeAccount.Status.VERIFIED, PayeeAccount.Status.PENDING)
    ).order_by("status", "-pk")
    verified = account.filter(status=PayeeAccount.Status.VERIFIED).first()
    if verified is None:
        pending = account.filter(status=PayeeAccount.Status.PENDING).first() or payee_account_submit(
            partner=partner,
            actor=owner,
            account_name=partner.legal_name,
            bank_name=BANK,
            branch_name=BRANCH,
            cnaps_code=CNAPS,
            account_number=NUMBER,
        )
        verified = payee_account_verify(account=pending, actor=checker)
    if payee_account_in_force(partner_id=partner.pk, currency=verified.currency, at=timezone.now()) is None:
        demo_cooling_off_passed(verified)
    return verified


def demo_cooling_off_passed(account: PayeeAccount) -> None:
    """The one raw write of the demo: ``payee_account_verify`` takes no clock and starts the
    cooling-off (``PAYEE_CHANGE_COOLING_HOURS``) at now, so a demo batch could not pay the
    account until tomorrow. Move the verification back by the cooling-off and an hour, as if
    the checker had verified it yesterday; nothing else changes."""
    shift = timedelta(hours=settings.PAYEE_CHANGE_COOLING_HOURS + 1)
    PayeeAccount.objects.filter(pk=account.pk).update(
        verified_at=account.verified_at - shift, effective_at=account.effective_at - shift
    )


def invoice_pdf(*, partner: Partner, number: str, total: Decimal) -> bytes:
    """A one-page demo invoice (PDF core font: ASCII only)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, "VAT invoice (demo)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, f"Seller: {partner.display_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, f"Number: {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, f"Total: CNY {total:.2f}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def invoice_amounts(total: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(amount before tax, rate, tax) adding up to ``total`` exactly: 6 % when some amount before
    tax rounds to it, else 0 %. The sum must hold in binary floating point too: SQLite checks
    ``invoice_total_adds_up`` on REAL values (1234.56 + 74.07 may miss by a hair)."""
    guess = to_fen(total / (1 + VAT_RATE))
    for before in (guess, guess - Decimal("0.01"), guess + Decimal("0.01")):
        tax = tax_for(before, VAT_RATE)
        if before + tax == total and float(before) + float(tax) == float(total):
            return before, VAT_RATE, tax_for(before, VAT_RATE)
    return total, Decimal("0"), Decimal("0.00")


def _invoice(statement: Statement, owner, checker) -> VatInvoice:
    """The owner records the statement's invoice, the checker verifies it."""
    invoice = (
        VatInvoice.objects.filter(statement=statement).exclude(status=VatInvoice.Status.REJECTED).first()
    )
    if invoice is None:
        total = statement_total(statement)
        before, rate, tax = invoice_amounts(total)
        number = f"26{statement.partner_id:06d}{statement.pk:012d}"
        invoice = invoice_record(
            statement=statement,
            actor=owner,
            invoice_code="",
            invoice_number=number,
            issued_on=timezone.localdate(),
            amount_before_tax=before,
            tax_rate=rate,
            tax_amount=tax,
            total_amount=total,
            upload=ContentFile(
                invoice_pdf(partner=statement.partner, number=number, total=total), "invoice.pdf"
            ),
        )
    if invoice.status == VatInvoice.Status.SUBMITTED:
        invoice = invoice_verify(invoice=invoice, actor=checker, reason="demo")
    return invoice


def camt053_for(batch: PayoutBatch) -> bytes:
    """The bank's statement showing every payout of ``batch`` booked (a DBIT entry each, with
    its end-to-end id and amount), value-dated the batch's execution date. Built in memory,
    the same bytes for the same batch."""
    E = ElementMaker(namespace=CAMT_NAMESPACE, nsmap={None: CAMT_NAMESPACE})
    day = batch.requested_execution_date.isoformat()
    entries = [
        E.Ntry(
            E.Amt(f"{payout.amount:.2f}", Ccy=payout.currency),
            E.CdtDbtInd("DBIT"),
            E.Sts(E.Cd("BOOK")),
            E.BookgDt(E.Dt(day)),
            E.ValDt(E.Dt(day)),
            E.AcctSvcrRef(f"DEMO{payout.pk:010d}"),
            E.BkTxCd(),
            E.NtryDtls(
                E.TxDtls(E.Refs(E.AcctSvcrRef(f"DEMO{payout.pk:010d}"), E.EndToEndId(payout.end_to_end_id)))
            ),
        )
        for payout in batch.payouts.order_by("pk")
    ]
    document = E.Document(
        E.BkToCstmrStmt(
            E.GrpHdr(E.MsgId(f"DEMOSTMT{batch.pk:010d}"), E.CreDtTm(f"{day}T18:00:00+08:00")),
            E.Stmt(
                E.Id(f"DEMOSTMT{batch.pk:010d}"),
                E.Acct(E.Id(E.Othr(E.Id(settings.PAYOUT_DEBTOR_ACCOUNT)))),
                *entries,
            ),
        )
    )
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def _batch(statement: Statement, maker, checker) -> PayoutBatch:
    """The maker builds a batch of the statement, the checker releases it, the maker imports the
    bank's statement: the payout and its statements are paid, the batch reconciled."""
    line = (
        PayoutLine.objects.filter(statement=statement)
        .exclude(batch__status=PayoutBatch.Status.CANCELLED)
        .first()
    )
    if line is None:
        batch = payout_batch_build(
            actor=maker,
            currency=statement.currency,
            requested_execution_date=timezone.localdate(),
            statement_ids=[statement.pk],
        )
    else:
        batch = line.batch
    if batch.status == PayoutBatch.Status.DRAFT:
        batch = payout_batch_release(batch=batch, actor=checker, reason="demo")
    if batch.status == PayoutBatch.Status.RELEASED:
        bank_statement_import(
            content=camt053_for(batch), filename=f"demo-camt053-{batch.pk}.xml", actor=maker
        )
        batch.refresh_from_db()
    return batch


def _statement(partner: Partner) -> Statement | None:
    """The statement the demo pays: the one already in a demo batch, else the partner's oldest
    approved statement with a positive total (``revenue.demo`` leaves Skyway two; the newer one
    carries the open dispute)."""
    line = (
        PayoutLine.objects.filter(partner=partner, amount__gt=0)
        .exclude(batch__status=PayoutBatch.Status.CANCELLED)
        .select_related("statement__partner")
        .order_by("pk")
        .first()
    )
    if line is not None:
        return line.statement
    approved = Statement.objects.filter(partner=partner, status=Statement.Status.APPROVED).select_related(
        "partner"
    )
    return next((s for s in approved.order_by("period_start") if statement_total(s) > 0), None)


def open_clawbacks() -> list[tuple[Statement, Decimal]]:
    """Approved statements with a negative total and what of each is still owed back, less what
    live batch lines took (``revenue.demo`` leaves Greenleaf Community's approved statement one:
    its customers' refunds of earlier sales exceed that period's sales)."""
    clawbacks = [
        s
        for s in Statement.objects.filter(status=Statement.Status.APPROVED).order_by("pk")
        if statement_total(s) < 0
    ]
    _batched, taken = statements_in_live_batches(statement_ids=[s.pk for s in clawbacks])
    owed = [(s, -statement_total(s) - taken.get(s.pk, Decimal("0.00"))) for s in clawbacks]
    return [(s, amount) for s, amount in owed if amount > 0]


def seed(*, password: str, stdout) -> None:
    owner, maker, checker = _user(OWNER), _user(MAKER), _user(CHECKER)
    partner = Partner.objects.filter(slug=PARTNER).first()
    if None in (owner, maker, checker, partner):
        stdout.write("payouts: demo partner or staff missing, skipped")
        return
    account = _account(partner, owner, checker)
    statement = _statement(partner)
    if statement is None:
        stdout.write(f"payouts: payee account {account.masked_number}; no approved statement to pay")
        return
    if statement.status == Statement.Status.APPROVED:
        _invoice(statement, owner, checker)
    batch = _batch(statement, maker, checker)
    paid = Payout.objects.filter(batch=batch, status=Payout.Status.PAID).count()
    clawbacks = len(open_clawbacks())
    stdout.write(
        f"payouts: payee account {account.masked_number}; batch {batch.message_id} {batch.status}, "
        f"{paid} paid; {clawbacks} open claw-backs"
    )
