"""Finance+N scenarios: versioned bundles of products, partners' participation, offer counts.

A scenario is identified by its ``code``; each edit after publishing is a new *version* (a new
row with the same code). Only a draft version changes; a published version is immutable and
keeps serving the partners who joined it until they move. Status moves go through the
services, which write a change row each time.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.i18n import LocalNameMixin
from core.transitions import StatusChangeRecord
from products.models import RATE_DIGITS, Product
from products.terms import RATE_CAP


class DataPurpose(models.TextChoices):
    """What a scenario uses customer data for (PIPL): declared on the scenario, and what a
    customer's consent must cover before an offer request may carry their data."""

    OFFER_PERSONALISATION = "offer_personalisation", _("Offer personalisation")
    CREDIT_PRE_ASSESSMENT = "credit_pre_assessment", _("Credit pre-assessment")
    MARKETING = "marketing", _("Marketing")
    DATA_SHARING_WITH_PARTNER = "data_sharing_with_partner", _("Data sharing with the partner")


def data_purposes_normalised(codes) -> list[str]:
    """``codes`` without repeats, in the declared order of ``DataPurpose`` (unknown codes are
    the caller's to refuse first)."""
    given = set(codes)
    return [code for code in DataPurpose.values if code in given]


class Scenario(LocalNameMixin, models.Model):
    """One version of a finance+N bundle for another industry's customer journey."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_zh = models.TextField(_("Chinese description"), blank=True)
    industry = models.ForeignKey(
        "partners.Industry", verbose_name=_("industry"), on_delete=models.PROTECT, related_name="scenarios"
    )
    reserved_for = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("reserved for partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reserved_scenarios",
        help_text=_("Leave empty to open the scenario to every active partner."),
    )
    trigger_events = models.JSONField(
        _("trigger events"),
        default=list,
        blank=True,
        help_text=_("The partner's events that ask for offers, e.g. booking.created, order.paid."),
    )
    data_shared = models.TextField(
        _("customer data the partner sends"),
        blank=True,
        help_text=_("Shown to partners: which customer data an offer request carries."),
    )
    data_shared_zh = models.TextField(_("customer data the partner sends (Chinese)"), blank=True)
    data_purpose = models.TextField(
        _("purpose of the data"),
        blank=True,
        help_text=_("Shown to partners: why the bank needs that data and what it does with it."),
    )
    data_purpose_zh = models.TextField(_("purpose of the data (Chinese)"), blank=True)
    data_purposes = models.JSONField(
        _("purposes of the data"),
        default=list,
        blank=True,
        help_text=_(
            "What the bank uses the customer's data for: an offer request with a customer "
            "reference or a segment needs the customer's consent to each of them."
        ),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="derived",
        help_text=_("The previous version, or the scenario this one was cloned from."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ("code", "-version")
        permissions = [("change_scenario_status", _("Can publish and retire scenarios"))]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="scenario_code_version_unique"),
            # "Edit" makes the next draft: never two drafts of one scenario at once.
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="draft"), name="scenario_one_draft_per_code"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="scenario_version_positive"),
        ]
        indexes = [
            # Partners browse published scenarios by industry; the admin filters the same way.
            models.Index(fields=["status", "industry"], name="scenario_status_industry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.local_name} ({self.code} v{self.version})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def data_purpose_labels(self) -> list[str]:
        labels = dict(DataPurpose.choices)
        return [str(labels.get(code, code)) for code in self.data_purposes]


class ScenarioStatusChange(StatusChangeRecord):
    """One row per status move of a scenario version: who, when, from, to and why."""

    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("from"), max_length=10, choices=Scenario.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=Scenario.Status.choices)

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("scenario status change")
        verbose_name_plural = _("scenario status changes")

    def __str__(self) -> str:
        return f"{self.scenario}: {self.move_text()}"


class Campaign(LocalNameMixin, models.Model):
    """A reward campaign (权益奖励): the budget that bundle items' rewards are granted from.

    A reward is granted when an attributed sale is recorded (``revenue.RewardGrant``), against
    the campaign under a row lock, so ``spent`` never passes ``budget`` and ``granted`` never
    passes ``count_cap``. Who funds it: the bank, the partner, or a split (``partner_share`` is
    the partner's fraction: 0 for the bank, 1 for the partner); the partner's part is deducted
    on its statement.
    """

    class Funder(models.TextChoices):
        BANK = "bank", _("The bank")
        PARTNER = "partner", _("The partner")
        SPLIT = "split", _("Split")

    class Status(models.TextChoices):
        # Terms (dates, budget, count cap, funding) change only in a draft; a second person
        # approves them before anything is granted (four eyes, ``scenarios.services.campaigns``).
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        CLOSED = "closed", _("Closed")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_zh = models.CharField(_("Chinese name"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    budget = models.DecimalField(_("budget"), max_digits=18, decimal_places=2)
    count_cap = models.PositiveIntegerField(
        _("most rewards"), null=True, blank=True, help_text=_("Leave empty for no count limit.")
    )
    funded_by = models.CharField(_("funded by"), max_length=10, choices=Funder.choices, default=Funder.BANK)
    partner_share = models.DecimalField(
        _("partner's share of the cost"),
        max_digits=5,
        decimal_places=4,
        default=0,
        help_text=_("0 when the bank funds it, 1 when the partner does; in between for a split."),
    )
    spent = models.DecimalField(_("spent"), max_digits=18, decimal_places=2, default=0, editable=False)
    granted = models.PositiveIntegerField(_("rewards granted"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ("-starts_at", "code")
        permissions = [
            ("approve_campaign", _("Can approve a campaign or a budget change (not one they prepared)")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="campaign_budget_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(spent__gte=0, spent__lte=models.F("budget")), name="campaign_spent_within_budget"
            ),
            models.CheckConstraint(
                condition=Q(count_cap__isnull=True) | Q(granted__lte=models.F("count_cap")),
                name="campaign_granted_within_cap",
            ),
            models.CheckConstraint(
                condition=Q(partner_share__gte=0, partner_share__lte=1),
                name="campaign_partner_share_fraction",
            ),
            # Four eyes: who created or submitted the terms never approves them.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=F("submitted_by")) & ~Q(approved_by=F("created_by"))),
                name="campaign_approver_is_not_maker",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def remaining(self):
        """What is left of the budget (never negative: the database keeps ``spent`` within it)."""
        return self.budget - self.spent

    @property
    def exhausted(self) -> bool:
        """Spent to the fen, or as many rewards granted as the cap allows: offers stop carrying
        the reward from the next request (``scenarios.selectors.scenario_terms``)."""
        return self.spent >= self.budget or (self.count_cap is not None and self.granted >= self.count_cap)

    def grants_at(self, moment) -> bool:
        """Would a sale at ``moment`` be granted (approved, within its dates, budget left)?"""
        return (
            self.status == self.Status.APPROVED
            and self.starts_at <= moment < self.ends_at
            and not self.exhausted
        )


class CampaignBudgetChange(models.Model):
    """A change of an approved campaign's budget or count cap: a change of money, so one person
    prepares it and another approves it (``scenarios.services.campaigns``). Approval applies
    it under the campaign's row lock; a budget below what is already spent is refused."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="budget_changes"
    )
    budget = models.DecimalField(_("new budget"), max_digits=18, decimal_places=2)
    count_cap = models.PositiveIntegerField(
        _("new most rewards"), null=True, blank=True, help_text=_("Leave empty for no count limit.")
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )
    budget_before = models.DecimalField(_("budget before"), max_digits=18, decimal_places=2, editable=False)
    count_cap_before = models.PositiveIntegerField(_("most rewards before"), null=True, editable=False)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        editable=False,
        related_name="+",
    )
    prepared_at = models.DateTimeField(_("prepared at"), auto_now_add=True)
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

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("campaign budget change")
        verbose_name_plural = _("campaign budget changes")
        ordering = ("-prepared_at", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="campaign_budget_change_positive"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("prepared_by")),
                name="campaign_budget_change_decider_is_not_preparer",
            ),
            # One pending change per campaign: a second would be decided against stale numbers.
            models.UniqueConstraint(
                fields=["campaign"], condition=Q(status="pending"), name="campaign_one_pending_budget_change"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.code}: {self.budget_before} → {self.budget}"


class BundleItem(models.Model):
    """A product in a scenario: its place, role, the bundle's overrides and reward."""

    class Role(models.TextChoices):
        PRIMARY = "primary", _("Primary")
        CROSS_SELL = "cross_sell", _("Cross-sell")

    class RewardKind(models.TextChoices):
        NONE = "", _("No reward")
        CASHBACK = "cashback", _("Cashback")
        POINTS = "points", _("Points")
        COUPON = "coupon", _("Coupon")

    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario"), on_delete=models.CASCADE, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="bundle_items"
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=1, validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.PRIMARY)
    rate_adjustment = models.DecimalField(
        _("bundle rate adjustment"),
        **RATE_DIGITS,
        default=0,
        help_text=_(
            "Added to the product's base rate in this bundle; the result must stay within its bounds."
        ),
    )
    fee_waiver = models.DecimalField(
        _("fee waiver"),
        **RATE_DIGITS,
        default=0,
        help_text=_("The share of the product's fee waived in this bundle: 0 none, 1 all."),
    )
    reward_kind = models.CharField(_("reward"), max_length=10, choices=RewardKind.choices, blank=True)
    reward_rate = models.DecimalField(
        _("reward rate"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Cashback: the share of the amount paid back. Points: points per yuan."),
    )
    reward_amount = models.DecimalField(
        _("reward amount"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Cashback: a fixed amount. Coupon: its face value."),
    )
    reward_cap = models.DecimalField(
        _("reward cap"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The most cashback (or points) one offer gives."),
    )
    reward_description = models.CharField(_("reward description"), max_length=200, blank=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        help_text=_("The campaign whose budget pays this reward; none: the reward is not budgeted."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bundle item")
        verbose_name_plural = _("bundle items")
        ordering = ("scenario", "position")
        constraints = [
            models.UniqueConstraint(fields=["scenario", "product"], name="bundle_item_product_once"),
            models.UniqueConstraint(fields=["scenario", "position"], name="bundle_item_position_unique"),
            # Staff use 1–999 (form validation); the services park moved items above that briefly.
            models.CheckConstraint(condition=Q(position__gte=1), name="bundle_item_position_positive"),
            models.CheckConstraint(
                condition=Q(rate_adjustment__gte=-RATE_CAP, rate_adjustment__lte=RATE_CAP),
                name="bundle_item_rate_adjustment_within_cap",
            ),
            models.CheckConstraint(
                condition=Q(fee_waiver__gte=0, fee_waiver__lte=1), name="bundle_item_fee_waiver_share"
            ),
            models.CheckConstraint(
                condition=(Q(reward_rate__isnull=True) | Q(reward_rate__gte=0))
                & (Q(reward_amount__isnull=True) | Q(reward_amount__gte=0))
                & (Q(reward_cap__isnull=True) | Q(reward_cap__gte=0)),
                name="bundle_item_reward_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.product.code}"


class Participation(models.Model):
    """A partner's participation in one scenario version."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        ENDED = "ended", _("Ended")

    class Channel(models.TextChoices):
        APP = "app", _("Mobile app")
        MINI_PROGRAM = "mini_program", _("Mini-program")
        WEB = "web", _("Website")
        ERP = "erp", _("ERP system")
        OTHER = "other", _("Other")

    OPEN = (Status.REQUESTED, Status.INVITED, Status.ACTIVE)

    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="participations"
    )
    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario version"), on_delete=models.PROTECT, related_name="participations"
    )
    # The scenario's code, kept here so the database can hold "one open participation per
    # partner and scenario, whatever the version".
    scenario_code = models.SlugField(_("scenario code"), max_length=60, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, editable=False)
    channel = models.CharField(
        _("channel"),
        max_length=15,
        choices=Channel.choices,
        default=Channel.APP,
        help_text=_("Where the partner shows the offers to its customers."),
    )
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    moved_from = models.OneToOneField(
        "self",
        verbose_name=_("moved from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="moved_to",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("active since"), null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ("-requested_at", "-id")
        permissions = [
            ("decide_participation", _("Can invite partners and decide on participation requests"))
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "scenario_code"],
                condition=Q(status__in=["requested", "invited", "active"]),
                name="participation_one_open_per_scenario",
            ),
        ]
        indexes = [
            # scenario_list_for_partner / scenario_get_for_partner: a partner's active ones.
            models.Index(fields=["partner", "status", "scenario_code"], name="participation_partner_idx"),
            # The admin and retiring a version: who is on this version.
            models.Index(fields=["scenario", "status"], name="participation_scenario_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} @ {self.scenario}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class ParticipationStatusChange(StatusChangeRecord):
    """One row per status move of a participation (``from_status`` empty when it began)."""

    participation = models.ForeignKey(
        Participation,
        verbose_name=_("participation"),
        on_delete=models.CASCADE,
        related_name="status_changes",
    )
    from_status = models.CharField(_("from"), max_length=10, choices=Participation.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Participation.Status.choices)

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("participation status change")
        verbose_name_plural = _("participation status changes")

    def __str__(self) -> str:
        return f"{self.participation}: {self.move_text()}"


class OfferQuoteDaily(models.Model):
    """Offer requests per partner, scenario version and business day (Asia/Shanghai), counted
    with one atomic increment per request; staff analytics report "offers quoted" from here."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="offer_quote_days",
    )
    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario version"), on_delete=models.CASCADE, related_name="quote_days"
    )
    day = models.DateField(_("day"))
    quotes = models.PositiveIntegerField(_("requests quoted"), default=0)
    offers = models.PositiveIntegerField(_("offers returned"), default=0)
    refusals = models.PositiveIntegerField(_("requests refused"), default=0)

    class Meta:
        verbose_name = _("offers quoted per day")
        verbose_name_plural = _("offers quoted per day")
        ordering = ("-day", "partner", "scenario")
        constraints = [
            models.UniqueConstraint(fields=["partner", "scenario", "day"], name="offer_quote_daily_unique"),
        ]
        indexes = [
            # Staff analytics sum a date range across partners.
            models.Index(fields=["day"], name="offer_quote_daily_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} / {self.scenario} / {self.day}: {self.quotes}"


class OfferRecord(models.Model):
    """One offer answered to a partner: what was shown, at which trigger, to which segment, at
    which price, so a later sale can name it (``offer_id``) and the funnel can count it.

    Written in batches, never on the request path (``scenarios.services.offer_log``). On
    PostgreSQL the table is partitioned by month of ``quoted_at`` (migration
    ``0003_offer_log``), and the primary key (``offer_id``, ``quoted_at``) holds the partition
    key, as PostgreSQL requires; old months are dropped whole (``OFFER_LOG_RETENTION_DAYS``).
    Partner and scenario are references without a database constraint: the log outlives
    nothing it names, and a constraint would cost a lookup per row written.
    """

    class Channel(models.TextChoices):
        API = "api", _("Open API")
        PORTAL = "portal", _("Portal try-out")

    pk = models.CompositePrimaryKey("offer_id", "quoted_at")
    offer_id = models.CharField(_("offer id"), max_length=40)
    quoted_at = models.DateTimeField(_("quoted at"))
    expires_at = models.DateTimeField(_("expires at"))
    request_id = models.CharField(_("request id"), max_length=40)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    key_prefix = models.CharField(_("API key prefix"), max_length=16, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    tryout = models.BooleanField(
        _("try-out"), default=False, help_text=_("Asked in the portal to try the engine: never a real offer.")
    )
    sandbox = models.BooleanField(
        _("sandbox"),
        default=False,
        db_default=False,
        help_text=_("Asked with a sandbox key: never counted, attributed only to sandbox sales."),
    )
    scenario = models.ForeignKey(
        Scenario,
        verbose_name=_("scenario version"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    event = models.CharField(_("trigger event"), max_length=60)
    product_code = models.CharField(_("product"), max_length=60)
    category = models.CharField(_("category"), max_length=30)
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    amount_band = models.CharField(_("amount band"), max_length=10)
    tenor_months = models.PositiveSmallIntegerField(_("tenor (months)"), null=True, blank=True)
    annual_rate = models.DecimalField(_("annual rate"), max_digits=9, decimal_places=6, null=True, blank=True)
    apr = models.DecimalField(_("APR"), max_digits=9, decimal_places=6, null=True, blank=True)
    price = models.JSONField(_("price"), help_text=_("The price exactly as the API answered it."))
    reward = models.JSONField(_("reward"), null=True, blank=True)
    customer_ref = models.CharField(
        _("customer reference"),
        max_length=64,
        blank=True,
        help_text=_("Keyed hash of the partner's customer id (core.secrets.customer_reference)."),
    )
    consent_id = models.CharField(
        _("consent id"),
        max_length=64,
        blank=True,
        db_default="",
        help_text=_("The partner's id of the customer's consent the request relied on (empty: none)."),
    )

    class Meta:
        db_table = "scenarios_offer_log"
        verbose_name = _("offer record")
        verbose_name_plural = _("offer log")
        indexes = [
            # The partner's offers over a time range: its funnel, and finding its offer by id
            # within the attribution window.
            models.Index(fields=["partner", "quoted_at"], name="offer_log_partner_time_idx"),
        ]

    def __str__(self) -> str:
        return self.offer_id


class Consent(models.Model):
    """A customer's consent (PIPL) as a partner sent it with an offer request: the partner's
    own consent id, the purposes it covers and when it was granted; withdrawn through
    ``POST consents/withdraw/``. The customer is kept only as the keyed hash of the partner's
    customer id (``core.secrets.customer_reference``), the same one the offer log and the ledger
    store, so each use of the reference is traceable to the consent in force then.

    Written by ``scenarios.services.consents``; staff only read it. A withdrawn consent stays
    withdrawn: a later request naming it is refused, never a revival.
    """

    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="consents"
    )
    consent_id = models.CharField(_("consent id"), max_length=64, help_text=_("The partner's own id."))
    customer_ref = models.CharField(
        _("customer reference"),
        max_length=64,
        blank=True,
        help_text=_("Keyed hash of the partner's customer id; empty when the request named no customer."),
    )
    purposes = models.JSONField(_("purposes"), default=list)
    granted_at = models.DateTimeField(_("granted at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # Sent with a sandbox key: kept apart from the live consents of the same ids (a sandbox
    # withdrawal never touches a live consent), deleted by a sandbox reset or purge.
    sandbox = models.BooleanField(_("sandbox"), default=False, db_default=False)
    first_seen_at = models.DateTimeField(_("first seen at"))
    last_seen_at = models.DateTimeField(
        _("last seen at"), help_text=_("The last offer request relying on it (to the hour).")
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ("-first_seen_at", "-id")
        permissions = [("export_consent", _("Can export consents for an audit"))]
        constraints = [
            # The offer path reads a consent by these three (the index of this constraint).
            models.UniqueConstraint(
                fields=["partner", "sandbox", "consent_id", "customer_ref"],
                name="consent_partner_id_ref_unique",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("granted_at")),
                name="consent_withdrawn_after_grant",
            ),
        ]
        indexes = [
            # consent_in_force: a customer's consents by time (traceability of transactions).
            models.Index(fields=["partner", "customer_ref", "granted_at"], name="consent_ref_time_idx"),
            # The console lists a partner's consents newest first.
            models.Index(fields=["partner", "-first_seen_at"], name="consent_partner_seen_idx"),
        ]

    def __str__(self) -> str:
        return self.consent_id

    @property
    def purpose_labels(self) -> list[str]:
        labels = dict(DataPurpose.choices)
        return [str(labels.get(code, code)) for code in self.purposes]


class ConsentScenario(models.Model):
    """A scenario (by code, whatever the version) for which an offer request relied on a
    consent: how staff list consents by scenario. One row per consent and scenario."""

    consent = models.ForeignKey(
        Consent, verbose_name=_("consent"), on_delete=models.CASCADE, related_name="scenarios"
    )
    scenario_code = models.SlugField(_("scenario code"), max_length=60)
    first_seen_at = models.DateTimeField(_("first seen at"))

    class Meta:
        verbose_name = _("scenario of a consent")
        verbose_name_plural = _("scenarios of consents")
        constraints = [
            models.UniqueConstraint(fields=["consent", "scenario_code"], name="consent_scenario_once"),
        ]
        indexes = [
            # The console's filter by scenario.
            models.Index(fields=["scenario_code", "consent"], name="consent_scenario_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consent_id} @ {self.scenario_code}"


class OfferFunnelDaily(models.Model):
    """The funnel's roll-up: per business day of the offer (Asia/Shanghai, of ``quoted_at``),
    partner, scenario version, product, segment, channel and amount band, the offers answered
    and what became of them. Pages and the API read only this table, so their cost follows the
    number of days and combinations shown, never the size of the offer log or the ledger.

    ``offers`` is added in the same database transaction as the offer log's batch write
    (``scenarios.services.funnel.offer_funnel_count``): it is exact whenever the log is.
    ``taken``, ``gross_amount`` and ``reward_cost`` are recomputed per quote-day from the log
    and the attributed transactions by ``revenue.services.funnel`` (beat, every 5 minutes, for
    the quote-days of newly received transactions; ``funnel_rebuild`` for a date range).
    Try-outs are never counted.
    """

    day = models.DateField(_("day of the offer"))
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    scenario = models.ForeignKey(
        Scenario,
        verbose_name=_("scenario version"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    product_code = models.CharField(_("product"), max_length=60)
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    channel = models.CharField(_("channel"), max_length=10)
    amount_band = models.CharField(_("amount band"), max_length=10)
    offers = models.PositiveIntegerField(_("offers"), default=0, db_default=0)
    taken = models.PositiveIntegerField(
        _("offers taken"), default=0, db_default=0, help_text=_("Distinct offers with at least one sale.")
    )
    gross_amount = models.DecimalField(
        _("gross amount"),
        max_digits=22,
        decimal_places=2,
        default=0,
        db_default=0,
        help_text=_("Sales less refunds."),
    )
    reward_cost = models.DecimalField(
        _("reward cost"), max_digits=22, decimal_places=2, default=0, db_default=0
    )

    class Meta:
        verbose_name = _("offer funnel per day")
        verbose_name_plural = _("offer funnel per day")
        constraints = [
            # The upsert of the offer writer and of the sales refresh conflict on this key.
            models.UniqueConstraint(
                fields=["day", "partner", "scenario", "product_code", "segment", "channel", "amount_band"],
                name="offer_funnel_daily_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(taken__lte=models.F("offers")) | models.Q(offers=0),
                name="offer_funnel_daily_taken_le_offers",
            ),
        ]
        indexes = [
            # A partner's funnel over a range of days (the API and the portal page); the staff
            # console's range over all partners uses the unique index (day first).
            models.Index(fields=["partner", "day"], name="offer_funnel_partner_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.partner_id} {self.scenario_id} {self.product_code}: {self.offers}"


class OfferCustomerDaily(models.Model):
    """Per business day, partner, customer reference (keyed hash), scenario version and product:
    the offers shown and taken. Cross-sell counts customers over a whole period from here
    (distinct products per customer), never by adding up months. Maintained with
    ``OfferFunnelDaily``, by the same writers."""

    day = models.DateField(_("day of the offer"))
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    customer_ref = models.CharField(_("customer reference"), max_length=64)
    scenario = models.ForeignKey(
        Scenario,
        verbose_name=_("scenario version"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    product_code = models.CharField(_("product"), max_length=60)
    offers = models.PositiveIntegerField(_("offers"), default=0, db_default=0)
    taken = models.PositiveIntegerField(_("offers taken"), default=0, db_default=0)

    class Meta:
        verbose_name = _("offers per customer and day")
        verbose_name_plural = _("offers per customer and day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "partner", "customer_ref", "scenario", "product_code"],
                name="offer_customer_daily_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.partner_id} {self.customer_ref[:8]} {self.product_code}: {self.offers}"
