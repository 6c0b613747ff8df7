"""The partner's VAT invoices (增值税发票) for its statements."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _

from core.transitions import StatusChangeRecord
from revenue.models.status_log import status_log

TOTAL = {"max_digits": 22, "decimal_places": 2}


class VatInvoice(models.Model):
    """The invoice a partner issued the bank for an approved statement with a positive share.
    It must match the statement to the fen: total = share + adjustments, tax = amount before
    tax × rate (half up). Staff verify or reject it (with a reason); a statement is paid only
    with a verified invoice, unless its partner is waived (``PAYOUT_INVOICE_WAIVED_TIERS`` /
    the partner's waiver). A rejected invoice is replaced by a new row."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    statement = models.ForeignKey(
        "revenue.Statement", verbose_name=_("statement"), on_delete=models.PROTECT, related_name="invoices"
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="vat_invoices"
    )
    invoice_code = models.CharField(_("invoice code"), max_length=20, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=20)
    issued_on = models.DateField(_("issue date"))
    amount_before_tax = models.DecimalField(_("amount before tax"), **TOTAL)
    tax_rate = models.DecimalField(_("tax rate"), max_digits=5, decimal_places=4)
    tax_amount = models.DecimalField(_("tax amount"), **TOTAL)
    total_amount = models.DecimalField(_("total"), **TOTAL)
    file = models.FileField(_("file (PDF or OFD)"), upload_to="invoices/%Y/%m/")
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, editable=False)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True, editable=False)
    # "application/pdf" or "application/ofd", from the file's content (never its name).
    content_type = models.CharField(_("content type"), max_length=50, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED, editable=False
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True, editable=False)

    class Meta:
        verbose_name = _("VAT invoice")
        verbose_name_plural = _("VAT invoices")
        ordering = ("-submitted_at", "-id")
        permissions = [("review_vatinvoice", _("Can verify or reject a VAT invoice"))]
        constraints = [
            # total = amount before tax + tax, to the fen. Within half a fen rather than equal:
            # exact on PostgreSQL's numeric (a difference is 0 or at least 0.01), and SQLite,
            # which keeps these as floating point, never refuses a sum that adds up in decimals.
            models.CheckConstraint(
                condition=LessThan(
                    Abs(F("amount_before_tax") + F("tax_amount") - F("total_amount")), Decimal("0.005")
                ),
                name="invoice_total_adds_up",
            ),
            # One live invoice per statement: a rejected one may be followed by another.
            models.UniqueConstraint(
                fields=["statement"], condition=~Q(status="rejected"), name="invoice_one_per_statement"
            ),
            # An invoice is recorded once; a rejected one may be recorded again (corrected).
            models.UniqueConstraint(
                fields=["partner", "invoice_code", "invoice_number"],
                condition=~Q(status="rejected"),
                name="invoice_number_unique",
            ),
            # Staff who entered an invoice for the partner never verify it.
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("submitted_by")),
                name="invoice_reviewer_is_not_submitter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_code} {self.invoice_number}".strip()  # a digital invoice has no code


class VatInvoiceChange(status_log(VatInvoice, max_length=10, related_name="changes")):
    """The trail of a VAT invoice: recorded, verified or rejected (with the reason)."""

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("VAT invoice change")
        verbose_name_plural = _("VAT invoice changes")
