"""The bank's statements as imported (camt.053 or CSV), each entry with what reconciliation
made of it, and the status log of payouts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from revenue.models.status_log import status_log

from .batches import Payout
from .invoices import TOTAL


class PayoutStatusChange(status_log(Payout, max_length=10)):
    """One row per status move of a payout (paid, returned), with who, when and why."""

    class Meta:
        verbose_name = _("payout status change")
        verbose_name_plural = _("payout status changes")
        ordering = ("-changed_at", "-id")


class BankStatementImport(models.Model):
    """One bank statement file, imported once: its SHA-256 is unique, so the same file
    imported again changes nothing (the import answers the earlier one)."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", _("ISO 20022 camt.053")
        CSV = "csv", _("CSV")

    sha256 = models.CharField(_("file SHA-256"), max_length=64, unique=True, editable=False)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    file_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    statement_id = models.CharField(_("bank statement id"), max_length=35, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    entry_count = models.PositiveIntegerField(_("entries"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    matched_amount = models.DecimalField(_("matched amount"), **TOTAL, default=0)
    exception_count = models.PositiveIntegerField(_("for a decision"), default=0)

    class Meta:
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")
        ordering = ("-imported_at", "-id")
        permissions = [
            ("reconcile_bankstatement", _("Can import a bank statement to reconcile payouts")),
        ]

    def __str__(self) -> str:
        return self.filename or self.sha256[:12]


class BankStatementEntry(models.Model):
    """One entry of an imported statement and its outcome. Only ``matched`` changed anything
    by itself; every other outcome but ``ignored`` waits for a person's decision (never
    guessed): accept as paid, mark the payout returned, or dismiss — each with a reason, by
    someone other than whoever imported the file."""

    class Outcome(models.TextChoices):
        MATCHED = "matched", _("Matched: paid")
        AMOUNT_DIFFERS = "amount", _("Amount or currency differs")
        RETURNED = "returned", _("Returned by the bank")
        UNKNOWN = "unknown", _("Unknown end-to-end id")
        DUPLICATE = "duplicate", _("Duplicate entry")
        IGNORED = "ignored", _("Not a payout (ignored)")

    class Decision(models.TextChoices):
        OPEN = "", _("Open")
        ACCEPTED = "accepted", _("Accepted as paid")
        RETURNED = "returned", _("Marked returned")
        DISMISSED = "dismissed", _("Dismissed")

    EXCEPTIONS = (Outcome.AMOUNT_DIFFERS, Outcome.RETURNED, Outcome.UNKNOWN, Outcome.DUPLICATE)

    statement_import = models.ForeignKey(
        BankStatementImport, verbose_name=_("import"), on_delete=models.CASCADE, related_name="entries"
    )
    position = models.PositiveIntegerField(_("position"))
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True)
    amount = models.DecimalField(_("amount"), **TOTAL)
    currency = models.CharField(_("currency"), max_length=3)
    debit = models.BooleanField(_("debit"), default=True)
    booked = models.BooleanField(_("booked"), default=True)
    reversal = models.BooleanField(_("reversal"), default=False)
    booking_date = models.DateField(_("booking date"), null=True, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    return_reason = models.CharField(_("return reason"), max_length=140, blank=True)
    payout = models.ForeignKey(
        Payout,
        verbose_name=_("payout"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_entries",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, blank=True, default=Decision.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)

    class Meta:
        verbose_name = _("bank statement entry")
        verbose_name_plural = _("bank statement entries")
        ordering = ("statement_import", "position")
        permissions = [
            (
                "decide_bankstatemententry",
                _("Can decide a bank statement entry (not one of a file they imported)"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["statement_import", "position"], name="bank_entry_position_unique"
            ),
            # A payout is matched by one entry at most.
            models.UniqueConstraint(
                fields=["payout"], condition=Q(outcome="matched"), name="bank_entry_payout_matched_once"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | (Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="bank_entry_decision_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["outcome", "decision"], name="bank_entry_open_idx"),
            models.Index(fields=["end_to_end_id"], name="bank_entry_e2e_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.end_to_end_id or '—'} {self.amount} {self.currency}"

    @property
    def is_open(self) -> bool:
        """Waiting for a person's decision."""
        return self.outcome in self.EXCEPTIONS and not self.decision
