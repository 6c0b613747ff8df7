"""Industries ("N"), partner companies, their lifecycle and their members."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.i18n import LocalNameMixin
from core.transitions import StatusChangeRecord

from ..validators import validate_credit_code


class Industry(LocalNameMixin, models.Model):
    """An industry ("N") whose customer journeys the bank embeds finance into."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_zh = models.TextField(_("Chinese description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("industry")
        verbose_name_plural = _("industries")
        ordering = ("position", "code")

    def __str__(self) -> str:
        return self.local_name


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

    # From the submitted application on, a partner may try the open API in the sandbox (test
    # keys, test data, never real money): while the bank reviews it, once approved and once
    # live. Not a draft (nothing applied for yet), nor a rejected, suspended or closed partner.
    SANDBOX_STATUSES = frozenset({Status.SUBMITTED, Status.UNDER_REVIEW, Status.APPROVED, Status.ACTIVE})
    # Not live yet (still applying, or refused): the portal shows the application, no live key
    # or live webhook endpoint is issued.
    PRE_LIVE_STATUSES = frozenset(
        {Status.DRAFT, Status.SUBMITTED, Status.UNDER_REVIEW, Status.APPROVED, Status.REJECTED}
    )

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
        validators=[validate_credit_code],
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
        limit_choices_to={"is_staff": True},
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    # Review checklist: staff checked the code against the national enterprise credit registry.
    credit_code_verified_at = models.DateTimeField(
        _("credit code verified at"), null=True, blank=True, editable=False
    )
    credit_code_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credit code verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
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
        constraints = [
            models.CheckConstraint(
                condition=Exact(Length("credit_code"), 18), name="partner_credit_code_length_18"
            ),
            models.CheckConstraint(
                condition=models.Q(credit_code_verified_at__isnull=True)
                | models.Q(credit_code_verified_by__isnull=False),
                name="partner_credit_code_verified_by_someone",
            ),
        ]
        permissions = [
            ("submit_partner", _("Can submit a partner application for review")),
            ("review_partner", _("Can review, approve, reject and reopen partner applications")),
            ("activate_partner", _("Can activate an approved partner")),
            ("suspend_partner", _("Can suspend and reinstate a partner")),
            ("terminate_partner", _("Can terminate a partner")),
            ("import_partner", _("Can import partners from a file")),
            ("export_partner", _("Can export partners to a file")),
        ]

    def __str__(self) -> str:
        return self.display_name

    # What the lifecycle means elsewhere. The open API, the portal and the key issuance read
    # these so that a suspension or termination takes effect everywhere at once.
    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def accepts_api_traffic(self) -> bool:
        """API keys of any other status are refused (403 "partner not active")."""
        return self.status == self.Status.ACTIVE

    @property
    def accepts_sandbox_traffic(self) -> bool:
        """Sandbox keys may be issued and are accepted (``SANDBOX_STATUSES``); documents aside."""
        return self.status in self.SANDBOX_STATUSES

    @property
    def is_read_only(self) -> bool:
        """The portal shows data but allows no change (suspended, and closed partners)."""
        return self.status in (self.Status.SUSPENDED, self.Status.TERMINATED)

    @property
    def is_closed(self) -> bool:
        """The portal is closed to the partner's users."""
        return self.status == self.Status.TERMINATED

    @property
    def is_onboarding(self) -> bool:
        """Still applying: the application can be completed before it goes to review."""
        return self.status == self.Status.DRAFT


class PartnerStatusChange(StatusChangeRecord):
    """One row per lifecycle move: who, when, from, to and why."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Partner.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Partner.Status.choices)

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("partner status change")
        verbose_name_plural = _("partner status changes")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")), name="partner_status_change_is_a_move"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.move_text()}"


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

    # Roles that manage the team (invite, change roles) in the portal.
    TEAM_MANAGER_ROLES = (Role.OWNER, Role.ADMIN)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="membership_user_partner_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "admin", "developer", "finance", "viewer"]),
                name="membership_role_known",
            ),
        ]
        indexes = [
            # Owner counts (last-owner protection) and team lists by role.
            models.Index(fields=["partner", "role"], name="membership_partner_role_idx"),
        ]
        permissions = [
            ("transfer_ownership", _("Can transfer the ownership of a partner")),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER

    @property
    def manages_team(self) -> bool:
        return self.role in self.TEAM_MANAGER_ROLES
