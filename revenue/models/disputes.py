"""Partners' disputes of statement lines and the manual adjustments that resolve them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.transitions import StatusChangeRecord

from .agreements import MONEY, Agreement
from .statements import StatementLine
from .status_log import status_log


class Adjustment(models.Model):
    """A manual correction of a partner's share (resolving a dispute), made by one staff member
    and approved by another; it lands as an adjustment line in the agreement's next statement."""

    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="adjustments"
    )
    dispute = models.ForeignKey(
        "Dispute",
        verbose_name=_("dispute"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
    )
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    amount = models.DecimalField(
        _("share adjustment"), **MONEY, help_text=_("Positive: owed to the partner; negative: owed back.")
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING_APPROVAL, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("maker"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ("-created_at", "-id")
        permissions = [("approve_adjustment", _("Can approve an adjustment (not one they made)"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("created_by")),
                name="adjustment_checker_is_not_maker",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="adjustment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.amount} ({self.get_status_display()})"


class Dispute(models.Model):
    """A partner's challenge to a statement line; staff resolve it (with an adjustment) or
    reject it, with a reason. Every step leaves a ``DisputeEvent``."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVING = "resolving", _("Adjustment pending approval")
        RESOLVED = "resolved", _("Resolved")
        REJECTED = "rejected", _("Rejected")

    line = models.ForeignKey(
        StatementLine, verbose_name=_("statement line"), on_delete=models.PROTECT, related_name="disputes"
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="disputes"
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("raised by"), on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    resolution = models.TextField(_("resolution"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ("-raised_at", "-id")
        permissions = [("resolve_dispute", _("Can resolve or reject disputes"))]
        constraints = [
            # One open dispute per line at a time.
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(status__in=["open", "resolving"]),
                name="dispute_one_open_per_line",
            ),
        ]
        indexes = [models.Index(fields=["partner", "status"], name="dispute_partner_status_idx")]

    def __str__(self) -> str:
        return f"{self.partner} / line {self.line_id} ({self.get_status_display()})"


class DisputeEvent(status_log(Dispute, max_length=10, related_name="events")):
    """The trail of a dispute: raised, adjustment proposed, approved or refused, rejected."""

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("dispute event")
        verbose_name_plural = _("dispute events")
