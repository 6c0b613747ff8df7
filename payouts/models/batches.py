"""Payout batches: what a finance maker assembles from payable statements, a checker releases,
and the bank's statement later shows paid."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .accounts import PayeeAccount
from .invoices import TOTAL


class PayoutBatch(models.Model):
    """A set of payments, one per partner and currency, built by a finance maker from approved
    statements (netted against the partner's unpaid claw-backs) and released by a checker who
    is not the maker. Released, its payment file (pain.001 or CSV) is fixed: regenerating it
    gives the same bytes and ids (``message_id``, each payout's ``end_to_end_id``)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RELEASED = "released", _("Released: in payment")
        RECONCILED = "reconciled", _("Reconciled")
        CANCELLED = "cancelled", _("Cancelled")

    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    requested_execution_date = models.DateField(_("requested execution date"))
    # ISO 20022 GrpHdr/MsgId and PmtInf/PmtInfId: fixed when the batch is created.
    message_id = models.CharField(_("message id"), max_length=35, unique=True, editable=False)
    payment_count = models.PositiveIntegerField(_("payments"), default=0, editable=False)
    total_amount = models.DecimalField(_("total"), **TOTAL, default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("built by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("built at"), auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # Also the payment file's creation time (GrpHdr/CreDtTm): stored, so a file made again is
    # the same bytes. Whole seconds.
    released_at = models.DateTimeField(_("released at"), null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, editable=False)

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ("-created_at", "-id")
        permissions = [
            ("build_payoutbatch", _("Can build a payout batch")),
            ("release_payoutbatch", _("Can release a payout batch (not one they built)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(released_by__isnull=True) | ~Q(released_by=F("created_by")),
                name="payout_batch_releaser_is_not_maker",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["released", "reconciled"])
                | (Q(released_by__isnull=False) & Q(released_at__isnull=False)),
                name="payout_batch_released_has_releaser",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id


class Payout(models.Model):
    """One payment of a batch: what one partner is paid in one currency, net of claw-backs, to
    its payee account in force when the batch was built. ``end_to_end_id`` travels with the
    money and comes back on the bank's statement, where reconciliation matches it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("In a draft batch")
        IN_PAYMENT = "in_payment", _("In payment")
        PAID = "paid", _("Paid")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="payouts"
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="payouts"
    )
    payee_account = models.ForeignKey(
        PayeeAccount, verbose_name=_("payee account"), on_delete=models.PROTECT, related_name="payouts"
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), **TOTAL)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )
    value_date = models.DateField(_("value date"), null=True, blank=True, editable=False)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ("batch", "partner")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.UniqueConstraint(fields=["batch", "partner", "currency"], name="payout_one_per_partner"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(value_date__isnull=False), name="payout_paid_has_value_date"
            ),
        ]
        indexes = [models.Index(fields=["partner", "-id"], name="payout_partner_idx")]

    def __str__(self) -> str:
        return self.end_to_end_id


class PayoutLine(models.Model):
    """How one statement counts in a batch for its partner: a positive statement's whole
    amount (share + adjustments), or the part of an unpaid claw-back (a negative statement)
    taken from what is owed — negative. A claw-back can be taken over several batches until
    its lines sum to its total; a positive statement is in one live batch at most. When the
    partner's net is not positive, its lines stay with ``payout`` empty: nothing is paid and
    the claw-back carries forward (its lines then take nothing)."""

    batch = models.ForeignKey(
        PayoutBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="lines"
    )
    payout = models.ForeignKey(
        Payout,
        verbose_name=_("payout"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lines",
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    statement = models.ForeignKey(
        "revenue.Statement",
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        related_name="payout_lines",
    )
    amount = models.DecimalField(_("amount"), **TOTAL)
    position = models.PositiveIntegerField(_("position"), default=0)
    # False once its batch is cancelled: the line then takes nothing and pays nothing.
    live = models.BooleanField(_("live"), default=True, editable=False)

    class Meta:
        verbose_name = _("payout line")
        verbose_name_plural = _("payout lines")
        ordering = ("batch", "partner", "position")
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "statement"], name="payout_line_statement_once_per_batch"
            ),
            # A statement owed to the partner is in one live batch at most (two makers building
            # at once: the second's insert fails rather than pay it twice).
            models.UniqueConstraint(
                fields=["statement"],
                condition=Q(live=True, amount__gt=0),
                name="payout_line_statement_paid_once",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="payout_line_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.amount}"
