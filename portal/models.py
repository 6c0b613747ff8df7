"""The custom user model: people log in with their e-mail address."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, email: str) -> User:
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("staff status"), default=False, help_text=_("Bank staff who may use the admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()
    # Secrets stay out of history: the hash and login times are not copied.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class StaffEnrolment(models.Model):
    """The two-factor enrolment link of a staff member (``portal.enrolment``): one per user, a
    new link replaces the last, and a link works once. Only a hash of its nonce is kept."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="staff_enrolment", verbose_name=_("staff member")
    )
    nonce_hash = models.CharField(_("nonce hash"), max_length=64, editable=False)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )

    class Meta:
        verbose_name = _("staff two-factor enrolment")
        verbose_name_plural = _("staff two-factor enrolments")

    def __str__(self) -> str:
        return str(self.user)


# --------------------------------------------------------------------------------------
# Staff console: analytics roll-ups and risk signals
# --------------------------------------------------------------------------------------
class TransactionDaily(models.Model):
    """Reported transactions per business day, partner, scenario, product and kind: the roll-up
    the ecosystem dashboard and the funnel read, so their cost follows the number of days and
    combinations, not the size of the ledger. Rebuilt per day by ``console.services``."""

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
        "portal.User",
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


class RiskSignalChange(models.Model):
    """One row per status move of a risk signal: who, when, from, to and why."""

    signal = models.ForeignKey(
        RiskSignal, verbose_name=_("risk signal"), on_delete=models.CASCADE, related_name="changes"
    )
    from_status = models.CharField(_("from"), max_length=15, choices=RiskSignal.Status.choices)
    to_status = models.CharField(_("to"), max_length=15, choices=RiskSignal.Status.choices)
    changed_by = models.ForeignKey(
        "portal.User", verbose_name=_("changed by"), on_delete=models.PROTECT, null=True, blank=True
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("risk signal change")
        verbose_name_plural = _("risk signal changes")
        ordering = ("-changed_at", "-id")

    def __str__(self) -> str:
        return f"{self.signal_id}: {self.from_status} → {self.to_status}"
