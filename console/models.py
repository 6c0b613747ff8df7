"""The staff console's own tables: analytics roll-ups and risk signals.

The tables were created by ``portal`` (migration 0002) and keep their ``portal_*`` names: the
models moved to this app in state only (``console.0001_initial``), no data moved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.transitions import StatusChangeRecord


class TransactionDaily(models.Model):
    """Reported transactions per business day, partner, scenario, product and kind: the roll-up
    the ecosystem dashboard and the funnel read, so their cost follows the number of days and
    combinations, not the size of the ledger. Rebuilt per day by ``console.services.rollups``."""

    day = models.DateField(_("business date"))
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.CASCADE, related_name="+"
    )
    scenario_code = models.SlugField(_("scenario code"), max_length=60)
    product = models.ForeignKey(
        "products.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10)
    count = models.PositiveIntegerField(_("transactions"), default=0)
    # A day's total of one product: up to 2**31 - 1 rows of at most the transaction limit.
    amount = models.DecimalField(_("amount"), max_digits=22, decimal_places=2, default=0)

    class Meta:
        db_table = "portal_transactiondaily"
        verbose_name = _("transactions per day")
        verbose_name_plural = _("transactions per day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "partner", "scenario_code", "product", "kind"], name="transaction_daily_unique"
            ),
        ]
        indexes = [
            # Every console figure reads a range of days.
            models.Index(fields=["day", "scenario_code"], name="transaction_daily_day_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.day} {self.partner_id} {self.scenario_code} {self.product_id} {self.kind}: {self.count}"
        )


class ScenarioCustomersMonthly(models.Model):
    """Distinct customer references per month, partner and scenario, and how many of them bought
    more than one product of the bundle (cross-sell): counted in SQL when a month is rebuilt."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.CASCADE, related_name="+"
    )
    scenario_code = models.SlugField(_("scenario code"), max_length=60)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    cross_sell_customers = models.PositiveIntegerField(_("customers with several products"), default=0)

    class Meta:
        db_table = "portal_scenariocustomersmonthly"
        verbose_name = _("scenario customers per month")
        verbose_name_plural = _("scenario customers per month")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "partner", "scenario_code"], name="scenario_customers_monthly_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(cross_sell_customers__lte=models.F("customers")),
                name="scenario_customers_cross_sell_le_customers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.partner_id} {self.scenario_code}: {self.customers}"


class RiskSignal(models.Model):
    """Something in the reported transactions that a person should look at. One signal per
    rule, partner, subject and window: a rerun of the scan never duplicates it."""

    class Rule(models.TextChoices):
        VELOCITY = "velocity", _("Velocity spike")
        REPEATED_AMOUNT = "repeated_amount", _("Repeated amount for one customer")
        REFUND_RATIO = "refund_ratio", _("Refunds above the ratio")
        OUT_OF_RANGE = "out_of_range", _("Outside the scenario's product range")
        OUT_OF_HOURS = "out_of_hours", _("Out-of-hours burst")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ESCALATED = "escalated", _("Escalated: partner suspended")
        DISMISSED = "dismissed", _("Dismissed")

    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.CASCADE, related_name="risk_signals"
    )
    subject = models.CharField(
        _("subject"), max_length=200, help_text=_("What the signal is about within the partner.")
    )
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"))
    evidence = models.JSONField(_("evidence"), default=dict)
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.OPEN, editable=False
    )
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    reason = models.TextField(_("reason"), blank=True, editable=False)

    class Meta:
        db_table = "portal_risksignal"
        verbose_name = _("risk signal")
        verbose_name_plural = _("risk signals")
        ordering = ("-detected_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "partner", "subject", "window_start", "window_end"], name="risk_signal_once"
            ),
            models.CheckConstraint(
                condition=models.Q(window_end__gte=models.F("window_start")),
                name="risk_signal_window_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="dismissed") | ~models.Q(reason=""),
                name="risk_signal_dismissal_has_reason",
            ),
        ]
        indexes = [
            # The risk page: open signals first, newest first.
            models.Index(fields=["status", "-detected_at"], name="risk_signal_status_idx"),
        ]
        permissions = [("decide_risksignal", _("Can acknowledge, escalate and dismiss risk signals"))]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.partner_id} · {self.subject}"


class RiskSignalChange(StatusChangeRecord):
    """One row per status move of a risk signal: who, when, from, to and why."""

    signal = models.ForeignKey(
        RiskSignal, verbose_name=_("risk signal"), on_delete=models.CASCADE, related_name="changes"
    )
    from_status = models.CharField(_("from"), max_length=15, choices=RiskSignal.Status.choices)
    to_status = models.CharField(_("to"), max_length=15, choices=RiskSignal.Status.choices)

    class Meta(StatusChangeRecord.Meta):
        db_table = "portal_risksignalchange"
        verbose_name = _("risk signal change")
        verbose_name_plural = _("risk signal changes")

    def __str__(self) -> str:
        return self.move_text()


class Heartbeat(models.Model):
    """The last time a worker ran beat's heartbeat task: one row per beat. In the database,
    because the cache may be each process's own memory (the embedded set-up), where the web
    would never see what a worker wrote."""

    BEAT = "beat"

    name = models.SlugField(_("name"), max_length=40, primary_key=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name} {self.at.isoformat()}"
