"""VAT invoices: the arithmetic against the statement (hypothesis: tax half up to the fen),
each refusal naming its field, files checked by content, duplicates, waivers, four eyes."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from payouts import services
from payouts.exceptions import PayoutMakerChecker, PayoutNotAllowed, VatInvoiceDuplicate, VatInvoiceInvalid
from payouts.models import VatInvoice
from payouts.selectors import statements_with_invoice
from payouts.services.invoices import invoice_file_type, invoice_mismatch, tax_for
from tests.factories import StaffFactory

from .conftest import PDF, make_statement, ofd_bytes, pdf_upload

GOOD = {
    "invoice_code": "3100231130",
    "invoice_number": "01234567",
    "issued_on": date(2026, 2, 3),
    "amount_before_tax": Decimal("1000.00"),
    "tax_rate": Decimal("0.06"),
    "tax_amount": Decimal("60.00"),
    "total_amount": Decimal("1060.00"),
}


def record(statement, actor, upload=None, **changes):
    return services.invoice_record(
        statement=statement, actor=actor, upload=upload or pdf_upload(), **{**GOOD, **changes}
    )


# ---------------------------------------------------------------------------- arithmetic
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2)
rates = st.sampled_from(services.STANDARD_RATES) | st.decimals(
    min_value=Decimal("0"), max_value=Decimal("0.9999"), places=4
)


@hypothesis_settings(deadline=None)  # never a timed assertion: the machine is shared
@given(amount=amounts, rate=rates)
def test_tax_is_the_amount_times_the_rate_rounded_half_up_to_the_fen(amount, rate):
    exact = amount * rate
    tax = tax_for(amount, rate)

    assert tax == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert abs(tax - exact) <= Decimal("0.005")
    assert (
        invoice_mismatch(
            total_due=amount + tax,
            amount_before_tax=amount,
            tax_rate=rate,
            tax_amount=tax,
            total_amount=amount + tax,
        )
        is None
    )


@hypothesis_settings(deadline=None)
@given(amount=amounts, rate=rates, off=st.sampled_from([Decimal("0.01"), Decimal("-0.01")]))
def test_a_tax_a_fen_off_is_refused_naming_the_tax(amount, rate, off):
    tax = tax_for(amount, rate) + off
    mismatch = invoice_mismatch(
        total_due=amount + tax,
        amount_before_tax=amount,
        tax_rate=rate,
        tax_amount=tax,
        total_amount=amount + tax,
    )

    assert mismatch is not None
    assert mismatch.field == "tax_amount"


def test_half_a_fen_rounds_up():
    assert tax_for(Decimal("0.50"), Decimal("0.01")) == Decimal("0.01")  # 0.005 → 0.01
    assert tax_for(Decimal("1.50"), Decimal("0.03")) == Decimal("0.05")  # 0.045 → 0.05


# ---------------------------------------------------------------------------- recording
def test_a_matching_invoice_is_recorded_with_its_file(statement, fiona):
    invoice = record(statement, fiona)

    assert invoice.status == "submitted"
    assert invoice.content_type == "application/pdf"
    assert invoice.file.name.endswith(".pdf")
    assert invoice.file.read() == PDF
    assert invoice.changes.get().to_status == "submitted"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"total_amount": Decimal("1000.00"), "tax_amount": Decimal("0.00"), "tax_rate": Decimal("0")},
            "total_amount",
        ),
        ({"tax_amount": Decimal("59.99"), "amount_before_tax": Decimal("1000.01")}, "tax_amount"),
        ({"amount_before_tax": Decimal("999.00")}, "tax_amount"),
        ({"invoice_code": "12345"}, "invoice_code"),
        ({"invoice_number": "123"}, "invoice_number"),
        ({"invoice_code": "", "invoice_number": "01234567"}, "invoice_number"),
        ({"issued_on": date(2099, 1, 1)}, "issued_on"),
        ({"tax_rate": Decimal("1.5")}, "tax_rate"),
        ({"tax_rate": Decimal("0.12345")}, "tax_rate"),
        ({"amount_before_tax": Decimal("1000.001")}, "amount_before_tax"),
        ({"tax_amount": "sixty"}, "tax_amount"),
    ],
)
def test_a_mismatch_or_a_bad_field_is_refused_naming_the_field(statement, fiona, changes, field):
    with pytest.raises(VatInvoiceInvalid) as refused:
        record(statement, fiona, **changes)

    assert refused.value.field == field
    assert not VatInvoice.objects.exists()


def test_a_fully_digital_invoice_has_no_code_and_a_20_digit_number(statement, fiona):
    invoice = record(statement, fiona, invoice_code="", invoice_number="26312000000012345678")

    assert str(invoice) == "26312000000012345678"


def test_an_ofd_is_accepted_by_its_content(statement, fiona):
    upload = pdf_upload(ofd_bytes(), name="invoice.ofd")

    invoice = record(statement, fiona, upload=upload)

    assert invoice.content_type == "application/ofd"
    assert invoice.file.name.endswith(".ofd")


@pytest.mark.parametrize(
    "content",
    [
        b"<html>%PDF-1.4 not really</html>",  # a fake PDF: the name says pdf, the bytes do not
        ofd_bytes(with_root=False),  # a ZIP without OFD.xml
        b"PK\x03\x04 broken zip",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
    ],
)
def test_a_file_that_is_not_a_pdf_or_an_ofd_is_refused(statement, fiona, content):
    with pytest.raises(VatInvoiceInvalid) as refused:
        record(statement, fiona, upload=pdf_upload(content))

    assert refused.value.field == "file"
    assert invoice_file_type(pdf_upload(content)) == ""


def test_an_empty_or_too_large_file_is_refused(statement, fiona, settings):
    with pytest.raises(VatInvoiceInvalid, match="empty"):
        record(statement, fiona, upload=pdf_upload(b""))
    settings.PAYOUT_INVOICE_MAX_BYTES = 10
    with pytest.raises(VatInvoiceInvalid, match="largest allowed"):
        record(statement, fiona)


def test_a_duplicate_code_and_number_is_refused_clearly(agreement, statement, fiona):
    record(statement, fiona)
    february = make_statement(agreement, share="1060.00", month=2)

    with pytest.raises(VatInvoiceDuplicate, match="3100231130 01234567 is already recorded") as refused:
        record(february, fiona)
    assert refused.value.field == "invoice_number"


def test_a_statement_takes_one_live_invoice_and_a_corrected_one_after_rejection(statement, fiona, checker):
    first = record(statement, fiona)
    with pytest.raises(VatInvoiceDuplicate):
        record(statement, fiona, invoice_number="01234568")

    services.invoice_reject(invoice=first, actor=checker, reason="illegible scan")
    again = record(statement, fiona)  # the same invoice, scanned again

    assert again.status == "submitted"
    assert first.changes.get(to_status="rejected").reason == "illegible scan"


def test_only_approved_statements_that_pay_something_take_an_invoice(agreement, fiona):
    draft = make_statement(agreement, status="draft")
    clawback = make_statement(agreement, share="-100.00", month=3)

    with pytest.raises(VatInvoiceInvalid) as not_approved:
        record(draft, fiona)
    with pytest.raises(VatInvoiceInvalid) as pays_nothing:
        record(clawback, fiona)
    assert not_approved.value.field == pays_nothing.value.field == "statement"


def test_a_waived_tier_needs_no_invoice(statement, fiona, settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard",)

    with pytest.raises(PayoutNotAllowed, match="waives"):
        record(statement, fiona)


def test_another_partners_member_or_a_developer_cannot_record(statement, charlie, bob):
    for actor in (charlie, bob):
        with pytest.raises(PayoutNotAllowed):
            record(statement, actor)


# ---------------------------------------------------------------------------- review
def test_staff_verify_and_the_statement_then_counts_as_invoiced(statement, fiona, checker):
    invoice = services.invoice_verify(invoice=record(statement, fiona), actor=checker)

    assert invoice.status == "verified"
    assert invoice.reviewed_by == checker
    assert statements_with_invoice(statement_ids=[statement.pk]) == {statement.pk}


def test_staff_who_entered_an_invoice_for_the_partner_cannot_verify_it(statement, maker, checker):
    boss = StaffFactory(email="boss@bank.test", is_superuser=True)
    invoice = record(statement, boss)

    with pytest.raises(PayoutMakerChecker):
        services.invoice_verify(invoice=invoice, actor=boss)
    assert services.invoice_verify(invoice=invoice, actor=checker).status == "verified"


def test_a_rejection_needs_a_reason_and_a_reviewer_needs_the_permission(statement, fiona, maker, checker):
    invoice = record(statement, fiona)

    with pytest.raises(PayoutNotAllowed):
        services.invoice_verify(invoice=invoice, actor=maker)
    with pytest.raises(VatInvoiceInvalid) as refused:
        services.invoice_reject(invoice=invoice, actor=checker, reason="")
    assert refused.value.field == "reason"


@pytest.mark.parametrize(("before", "tax", "total", "stored"), [
    ("1234.56", "74.07", "1308.63", True),  # adds up in decimals, not in binary floating point
    ("0.10", "0.20", "0.30", True),
    ("1234.56", "74.07", "1308.64", False),  # a fen off
])  # fmt: skip
def test_the_database_checks_the_total_to_the_fen_on_both_databases(statement, before, tax, total, stored):
    def create():
        with transaction.atomic():
            return VatInvoice.objects.create(
                statement=statement,
                partner=statement.partner,
                invoice_number="12345678",
                issued_on=date(2026, 2, 1),
                amount_before_tax=Decimal(before),
                tax_rate=Decimal("0.06"),
                tax_amount=Decimal(tax),
                total_amount=Decimal(total),
                file="invoices/x.pdf",
                file_sha256="0" * 64,
            )

    if stored:
        assert create().pk
    else:
        with pytest.raises(IntegrityError):
            create()
