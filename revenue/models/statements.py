"""Settlement runs, statements (one per agreement and period, never changed once generated)
and their lines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.progress import Progress
from core.transitions import StatusChangeRecord

from .agreements import TOTAL, Agreement
from .status_log import status_log


class SettlementRun(models.Model):
    """One execution of settlement through a date: what it planned, did and what failed.

    It ends once every planned period is done or failed: ``succeeded`` when none failed,
    ``partial`` when some settled and some failed, ``failed`` when none settled. ``errors``
    holds one entry per failed period: ``{"partner", "scenario", "agreement", "period_start",
    "period_end", "error", "skipped"}`` (``skipped``: the later periods of that partner's
    scenario this run left for the next, so no statement ever follows a missing one)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Partly failed")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        COMMAND = "command", _("Command")
        STAFF = "staff", _("Staff")

    through = models.DateField(_("settled through"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(_("triggered by"), max_length=10, choices=Trigger.choices)
    periods_planned = models.PositiveIntegerField(_("periods planned"), default=0)
    periods_done = models.PositiveIntegerField(_("periods done"), default=0)
    periods_failed = models.PositiveIntegerField(_("periods failed"), default=0)
    statements_created = models.PositiveIntegerField(_("statements created"), default=0)
    transactions_settled = models.PositiveIntegerField(_("transactions settled"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The last period done or failed (or the last re-dispatch): the watchdog resumes a run
    # that has not moved for SETTLEMENT_STALL_MINUTES (``revenue.services.recovery``).
    progress_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement run")
        verbose_name_plural = _("settlement runs")
        ordering = ("-started_at", "-id")
        permissions = [("run_settlement", _("Can start a settlement run"))]

    def __str__(self) -> str:
        return f"{self.through} ({self.get_status_display()})"

    @property
    def progress_state(self) -> Progress:
        """Periods done or failed of those planned, from the start to the last progress."""
        return Progress(
            done=self.periods_done + self.periods_failed,
            total=self.periods_planned,
            started_at=self.started_at,
            updated_at=self.progress_at,
            finished=self.status != self.Status.RUNNING,
        )

    @property
    def progress(self) -> int:
        """Percent of the planned periods done."""
        return self.progress_state.percent

    @property
    def error_messages(self) -> list[str]:
        """Each failed period in one line (the errors of runs before per-period entries are text)."""
        return [
            error
            if isinstance(error, str)
            else f"{error['partner']} / {error['scenario']} {error['period_start']}–{error['period_end']}: "
            f"{error['error']}"
            + (f" (+{error['skipped']} later periods not settled)" if error["skipped"] else "")
            for error in self.errors
        ]


class Statement(models.Model):
    """What one agreement's period earned the partner: generated once, never changed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        # A finance maker recorded the payout; a second person confirms it (four eyes).
        RECORDED = "recorded", _("Payout recorded, awaiting confirmation")
        # In a released payout batch (``payouts``), until the bank's statement shows it paid.
        IN_PAYMENT = "in_payment", _("In payment")
        PAID = "paid", _("Paid")

    # The open API's statuses (docs/api.md): a payout not yet confirmed or seen on the bank's
    # statement is not paid, so still approved.
    API_STATUS = {Status.RECORDED: Status.APPROVED, Status.IN_PAYMENT: Status.APPROVED}

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="statements"
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="statements"
    )
    scenario_code = models.SlugField(_("scenario code"), max_length=60)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    transaction_count = models.IntegerField(_("transactions"), default=0)
    gross_amount = models.DecimalField(_("gross amount"), **TOTAL, default=0)
    share_amount = models.DecimalField(_("share"), **TOTAL, default=0)
    adjustment_amount = models.DecimalField(_("adjustments"), **TOTAL, default=0)
    run = models.ForeignKey(
        SettlementRun,
        verbose_name=_("settlement run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
    )
    generated_at = models.DateTimeField(_("generated at"), auto_now_add=True)
    # The ledger ids the statement saw when it was generated: its period's transactions with
    # ``id <= ledger_through`` and the late arrivals with ``ledger_after < id <= ledger_through``
    # (``ledger_after`` is the previous statement's ``ledger_through`` of the scenario).
    ledger_after = models.BigIntegerField(_("ledger: after id"), default=0, editable=False)
    ledger_through = models.BigIntegerField(_("ledger: through id"), default=0, editable=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    prepared_at = models.DateTimeField(_("prepared at"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    paid_on = models.DateField(_("paid on"), null=True, blank=True, editable=False)
    payout_reference = models.CharField(_("payout reference"), max_length=100, blank=True, editable=False)
    payout_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payout recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    payout_recorded_at = models.DateTimeField(_("payout recorded at"), null=True, blank=True, editable=False)
    payout_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payout confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    payout_confirmed_at = models.DateTimeField(
        _("payout confirmed at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ("-period_start", "partner", "scenario_code")
        permissions = [
            ("prepare_statement", _("Can check a draft statement and send it for approval")),
            ("approve_statement", _("Can approve a statement (not one they prepared)")),
            ("pay_statement", _("Can record the payout of a statement")),
            (
                "confirm_statement_payout",
                _("Can confirm or send back a recorded payout (not one they recorded)"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "period_start"], name="statement_one_per_agreement_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="statement_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="statement_approver_is_not_preparer",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["recorded", "paid"])
                | (Q(paid_on__isnull=False) & ~Q(payout_reference="")),
                name="statement_paid_has_payout",
            ),
            models.CheckConstraint(
                condition=Q(payout_confirmed_by__isnull=True)
                | ~Q(payout_confirmed_by=F("payout_recorded_by")),
                name="statement_payout_confirmer_is_not_recorder",
            ),
        ]
        indexes = [
            # The portal and the API list a partner's statements, newest first.
            models.Index(fields=["partner", "-period_start"], name="statement_partner_period_idx"),
            # Late transactions: which settled statement covers a day (partner, scenario).
            models.Index(
                fields=["partner", "scenario_code", "period_start", "period_end"], name="statement_cover_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} / {self.scenario_code} {self.period_start}–{self.period_end}"

    @property
    def api_status(self) -> str:
        """The status partners see (API, statement files): ``draft``, ``approved`` or ``paid``."""
        return self.API_STATUS.get(self.status, self.status)


class StatementStatusChange(status_log(Statement, max_length=10)):
    """One row per status move of a statement (``from_status`` empty when it was generated)."""

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("statement status change")
        verbose_name_plural = _("statement status changes")


class StatementLine(models.Model):
    """Per scenario, product and kind: the count, gross (negative for refunds) and share."""

    class Kind(models.TextChoices):
        SALE = "sale", _("Sale")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")
        # The partner's part of reward grants (``RewardGrant.partner_amount``), deducted.
        REWARD = "reward", _("Reward cost")

    statement = models.ForeignKey(
        Statement, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="lines"
    )
    scenario_code = models.SlugField(_("scenario"), max_length=60)
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    transaction_count = models.IntegerField(_("transactions"), default=0)
    gross_amount = models.DecimalField(_("gross amount"), **TOTAL, default=0)
    share_amount = models.DecimalField(_("share"), **TOTAL, default=0)
    # Adjustment lines: the earlier statement whose period the late transactions belong to, or
    # the manual adjustment (a resolved dispute) they carry.
    adjusts = models.ForeignKey(
        Statement,
        verbose_name=_("adjusts statement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjusted_by_lines",
    )
    adjustment = models.OneToOneField(
        "Adjustment",
        verbose_name=_("manual adjustment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="line",
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ("statement", "position")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="sale") | Q(gross_amount__gte=0, share_amount__gte=0),
                name="statement_line_sale_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="refund") | Q(gross_amount__lte=0, share_amount__lte=0),
                name="statement_line_refund_not_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reward") | Q(gross_amount=0, share_amount__lte=0),
                name="statement_line_reward_is_a_deduction",
            ),
        ]

    def __str__(self) -> str:
        # Words, not codes: the product's name (loaded with the line where lines are listed).
        product = self.product.local_name if self.product_id else "—"
        return f"{product} · {self.get_kind_display()}: {self.share_amount}"
