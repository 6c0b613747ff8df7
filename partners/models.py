"""Partners: industries ("N"), partner companies, their lifecycle and their members."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Industry(models.Model):
    """An industry ("N") whose customer journeys the bank embeds finance into."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ("position", "code")

    def __str__(self) -> str:
        return self.name

    @property
    def local_name(self) -> str:
        """The name in the active language (Chinese when the UI is in Chinese)."""
        from django.utils.translation import get_language

        if self.name_zh and (get_language() or "").startswith("zh"):
            return self.name_zh
        return self.name


class Partner(models.Model):
    """A company of another industry that embeds the bank's products into its journeys."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        APPROVED = "approved", _("Approved")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")
        REJECTED = "rejected", _("Rejected")

    class Tier(models.TextChoices):
        STANDARD = "standard", _("Standard")
        SILVER = "silver", _("Silver")
        GOLD = "gold", _("Gold")
        STRATEGIC = "strategic", _("Strategic")

    class RiskRating(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    legal_name = models.CharField(_("legal name"), max_length=200)
    display_name = models.CharField(_("display name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        help_text=_("统一社会信用代码: 18 characters with a GB 32100-2015 check character."),
    )
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), on_delete=models.PROTECT, related_name="partners"
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    risk_rating = models.CharField(_("risk rating"), max_length=10, choices=RiskRating.choices, blank=True)
    relationship_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("relationship manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_partners",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ("display_name",)
        indexes = [
            # Admin list filters and the staff dashboard group partners by these.
            models.Index(fields=["status", "industry"], name="partner_status_industry_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class PartnerStatusChange(models.Model):
    """One row per lifecycle move: who, when, from, to and why."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Partner.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Partner.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("partner status change")
        verbose_name_plural = _("partner status changes")
        ordering = ("-changed_at", "-id")

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_status} → {self.to_status}"


class Membership(models.Model):
    """A user's membership of a partner organisation, with a role."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        DEVELOPER = "developer", _("Developer")
        FINANCE = "finance", _("Finance")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="membership_user_partner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner} ({self.role})"
