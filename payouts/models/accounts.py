"""The bank account a partner is paid into."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.transitions import StatusChangeRecord
from revenue.models.status_log import status_log


class PayeeAccount(models.Model):
    """A payee bank account as the partner entered it. A new or changed account is a new row:
    it pays only once bank staff verified it (maker-checker: not the person who entered or
    proposed it) and the cooling-off period (``PAYEE_CHANGE_COOLING_HOURS``) after verification
    has passed (``effective_at``). The account number is stored encrypted
    (``core.secrets.fernet``); only its last four digits are kept in the clear, for masking."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        REPLACED = "replaced", _("Replaced")

    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="payee_accounts"
    )
    account_name = models.CharField(_("account name"), max_length=120)
    bank_name = models.CharField(_("bank"), max_length=120)
    branch_name = models.CharField(_("branch"), max_length=120)
    cnaps_code = models.CharField(
        _("CNAPS code"), max_length=12, help_text=_("The branch's 12-digit CNAPS code.")
    )
    account_number_encrypted = models.TextField(_("account number (encrypted)"), editable=False)
    account_number_last4 = models.CharField(
        _("account number, last four digits"), max_length=4, editable=False
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )
    # The account name differs from the partner's legal name: staff accept the difference with
    # a reason when they verify.
    name_mismatch_reason = models.TextField(_("reason the account name differs"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    effective_at = models.DateTimeField(
        _("pays from"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Verification plus the cooling-off period."),
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True, editable=False)
    # Why the verifier accepted an account name that is not the partner's legal name.
    name_difference_approval = models.TextField(
        _("why staff accepted the name difference"), blank=True, editable=False
    )

    class Meta:
        verbose_name = _("payee account")
        verbose_name_plural = _("payee accounts")
        ordering = ("partner", "-submitted_at")
        permissions = [
            ("verify_payeeaccount", _("Can verify a payee account (not one they submitted)")),
            ("view_payee_account_number", _("Can see payee account numbers in full")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="verified")
                | (Q(verified_at__isnull=False) & Q(effective_at__isnull=False)),
                name="payee_verified_has_times",
            ),
            # At most one verified account per partner and currency at a time.
            models.UniqueConstraint(
                fields=["partner", "currency"], condition=Q(status="verified"), name="payee_one_verified"
            ),
            # A newer submission replaces the one still waiting: one pending change at a time.
            models.UniqueConstraint(
                fields=["partner", "currency"], condition=Q(status="pending"), name="payee_one_pending"
            ),
            # Four eyes below the services: whoever entered the account never verifies it.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=F("submitted_by")),
                name="payee_verifier_is_not_submitter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_name} ****{self.account_number_last4}"

    @property
    def masked_number(self) -> str:
        """The account number as everyone but ``payouts.view_payee_account_number`` sees it."""
        return f"****{self.account_number_last4}"

    @property
    def name_differs(self) -> bool:
        return bool(self.name_mismatch_reason)


class PayeeAccountChange(status_log(PayeeAccount, max_length=10, related_name="changes")):
    """The trail of a payee account: submitted, verified or rejected, replaced."""

    class Meta(StatusChangeRecord.Meta):
        verbose_name = _("payee account change")
        verbose_name_plural = _("payee account changes")
