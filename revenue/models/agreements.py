"""Revenue-share agreements and their status log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.transitions import StatusChangeRecord

from .status_log import status_log

MONEY = {"max_digits": 16, "decimal_places": 2}
# Totals of statements and their lines. A line or statement counts at most 2**31 - 1
# transactions (an integer column) of at most ``revenue.money.TRANSACTION_AMOUNT_MAX`` each:
# under 2.2 × 10**17, so 20 integer digits hold any total the limits allow, with room for
# manual adjustments (tests/revenue/test_limits.py checks the arithmetic).
TOTAL = {"max_digits": 22, "decimal_places": 2}


class Cycle(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly (Monday–Sunday)")
    MONTHLY = "monthly", _("Monthly")


class Agreement(models.Model):
    """A revenue-share agreement between the bank and a partner for one scenario (all its
    versions). Made by one staff member, approved by another; never edited once active."""

    class Model(models.TextChoices):
        PERCENTAGE = "percentage", _("Percentage of the amount")
        TIERED = "tiered", _("Tiered (marginal bands)")
        FIXED_PER_TRANSACTION = "fixed_per_transaction", _("Fixed amount per transaction")

    class Basis(models.TextChoices):
        AMOUNT = "amount", _("Transaction amount")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Pending approval")
        # Approved by the bank, waiting for the partner's acceptance.
        SENT = "sent", _("Sent for acceptance")
        DECLINED = "declined", _("Declined by the partner")
        ACTIVE = "active", _("Active")
        SUPERSEDED = "superseded", _("Superseded")

    class Acceptance(models.TextChoices):
        PORTAL = "portal", _("Accepted in the portal")
        OFFLINE = "offline", _("Signed offline, recorded by the bank")
        BEFORE_ACCEPTANCE = "before_acceptance", _("Accepted before acceptance existed")

    Cycle = Cycle
    # Settlement settles the periods of these (a superseded one up to its last day).
    IN_FORCE = (Status.ACTIVE, Status.SUPERSEDED)
    # What the partner sees: everything the bank sent it (drafts and pending ones are internal).
    SHOWN_TO_PARTNER = (Status.SENT, Status.DECLINED, Status.ACTIVE, Status.SUPERSEDED)

    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="agreements"
    )
    scenario = models.ForeignKey(
        "scenarios.Scenario",
        verbose_name=_("scenario"),
        on_delete=models.PROTECT,
        related_name="agreements",
        help_text=_("The agreement covers every version of this scenario."),
    )
    scenario_code = models.SlugField(_("scenario code"), max_length=60, editable=False)
    model = models.CharField(_("model"), max_length=25, choices=Model.choices)
    terms = models.JSONField(
        _("terms"),
        help_text=_(
            'Percentage: {"rate": "0.300000"}. Tiered: {"tiers": [{"up_to": "100000.00", "rate": "0.2"}, '
            '{"up_to": null, "rate": "0.3"}]}. Fixed per transaction: {"amount": "2.50"}.'
        ),
    )
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices, default=Basis.AMOUNT)
    cycle = models.CharField(_("settlement cycle"), max_length=10, choices=Cycle.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("maker"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Whoever changed the draft's terms after it was made is one of its makers too: never its
    # approver (``revenue.selectors.agreement_makers``).
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("edited by"), related_name="+", blank=True, editable=False
    )
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
    # The SHA-256 of the terms as sent (``revenue.terms.terms_sha256``): what the partner accepts.
    terms_sha256 = models.CharField(_("terms SHA-256"), max_length=64, blank=True, editable=False)
    acceptance = models.CharField(
        _("acceptance"), max_length=20, choices=Acceptance.choices, blank=True, editable=False
    )
    # The member who accepted in the portal, or the staff member who recorded a signed copy;
    # nobody for agreements in force before acceptance existed.
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True, editable=False)
    signatory = models.CharField(
        _("signed by"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("Offline acceptance: who signed for the partner, as on the signed copy."),
    )
    signed_copy = models.FileField(
        _("signed copy"), upload_to="agreements/%Y/%m/", blank=True, editable=False
    )
    signed_copy_type = models.CharField(_("signed copy type"), max_length=50, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ("partner", "scenario_code", "-effective_from")
        permissions = [
            ("submit_agreement", _("Can submit an agreement for approval")),
            ("approve_agreement", _("Can approve an agreement (not one they made)")),
            (
                "record_agreement_acceptance",
                _("Can record a partner's signed acceptance of an agreement (not one they approved)"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="agreement_approver_is_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="agreement_effective_dates_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="superseded") | Q(effective_to__isnull=False),
                name="agreement_superseded_has_an_end",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["active", "superseded"]) | Q(approved_by__isnull=False),
                name="agreement_in_force_was_approved",
            ),
            # Only accepted agreements settle: one in force carries its acceptance and hash.
            models.CheckConstraint(
                condition=~Q(status__in=["active", "superseded"])
                | (Q(accepted_at__isnull=False) & ~Q(acceptance="") & ~Q(terms_sha256="")),
                name="agreement_in_force_was_accepted",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["sent", "declined"])
                | (Q(approved_by__isnull=False) & ~Q(terms_sha256="")),
                name="agreement_sent_was_approved",
            ),
            # Four eyes: the checker who sent it never accepts it, nor records a signed copy.
            models.CheckConstraint(
                condition=Q(accepted_by__isnull=True) | ~Q(accepted_by=F("approved_by")),
                name="agreement_acceptor_is_not_approver",
            ),
            models.CheckConstraint(
                condition=~Q(acceptance="offline") | (~Q(signed_copy="") & Q(accepted_by__isnull=False)),
                name="agreement_offline_acceptance_has_signed_copy",
            ),
            # One agreement in force per partner and scenario at a time: a new one supersedes.
            models.UniqueConstraint(
                fields=["partner", "scenario_code"],
                condition=Q(status="active"),
                name="agreement_one_active_per_scenario",
            ),
            # One agreement at a time waits for the partner's answer per scenario.
            models.UniqueConstraint(
                fields=["partner", "scenario_code"],
                condition=Q(status="sent"),
                name="agreement_one_sent_per_scenario",
            ),
        ]
        indexes = [
            # Settlement: the agreements in force; the portal: a partner's agreements.
            models.Index(fields=["status", "partner", "scenario_code"], name="agreement_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} / {self.scenario_code} ({self.get_model_display()}, {self.effective_from})"


class AgreementStatusChange(status_log(Agreement, max_length=20)):
    """One row per status move of an agreement: who, when, from, to and why; the rows of
    sending and of acceptance also keep the terms' SHA-256 as sent and as accepted."""

    terms_sha256 = models.CharField(_("terms SHA-256"), max_length=64, blank=True)

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("agreement status change")
        verbose_name_plural = _("agreement status changes")
