"""Reward grants: what a campaign paid out for one attributed sale.

A sale that names an offer whose reward belongs to a campaign (``scenarios.Campaign``) is
granted that reward when it is recorded, against the campaign under a row lock (the campaign's
``spent`` and ``granted`` move in the same transaction), so concurrent sales never overspend.
The partner-funded part (``partner_amount``) is deducted on the partner's statement.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from .agreements import MONEY


class RewardGrant(models.Model):
    campaign = models.ForeignKey(
        "scenarios.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="grants"
    )
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("partner"), on_delete=models.PROTECT, related_name="reward_grants"
    )
    # The attributed sale; a sale is granted at most once.
    transaction = models.OneToOneField(
        "revenue.Transaction", verbose_name=_("sale"), on_delete=models.PROTECT, related_name="reward_grant"
    )
    offer_id = models.CharField(_("offer id"), max_length=40, db_index=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("reward cost"), **MONEY)
    # amount = partner_amount + bank_amount, split by the campaign's partner_share (half up to
    # the fen on the partner's part; the bank takes the remainder).
    partner_amount = models.DecimalField(_("funded by the partner"), **MONEY)
    bank_amount = models.DecimalField(_("funded by the bank"), **MONEY)
    granted_at = models.DateTimeField(_("granted at"))
    # The statement that deducts ``partner_amount`` (set once, when it is generated; a grant the
    # partner funds nothing of is on none). Claimed with ``statement IS NULL`` under the
    # partner scenario's exclusive ledger lock, so a grant is deducted once.
    statement = models.ForeignKey(
        "revenue.Statement",
        verbose_name=_("deducted on statement"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reward_grants",
    )

    class Meta:
        verbose_name = _("reward grant")
        verbose_name_plural = _("reward grants")
        ordering = ("-granted_at", "-id")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="reward_grant_amount_positive"),
            models.CheckConstraint(
                condition=Q(partner_amount__gte=0, bank_amount__gte=0)
                # Rounded to the fen: SQLite keeps decimals as binary floats, where 0.10 + 0.20
                # is not 0.30 (exact numerics on PostgreSQL, where the rounding changes nothing).
                & Q(amount=Round(F("partner_amount") + F("bank_amount"), 2)),
                name="reward_grant_split_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.offer_id}"
