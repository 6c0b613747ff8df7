"""The sandbox ledger: what partners report with a sandbox key (``fnk_sbx_…``), kept in a table
of its own with the ledger's shape. Never append-only (a reset or the retention purge deletes
rows), never settled, never read by anything that touches real money: settlement, statements,
exports, staff dashboards and the funnel read ``Transaction`` only. An ``external_id`` used
here never blocks the live ledger, and the other way round (docs/sandbox.md, *Sandbox data*)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import money_text

from ..money import TRANSACTION_AMOUNT_MAX
from .agreements import MONEY
from .ledger import Transaction


class SandboxTransaction(models.Model):
    """A sale or refund reported with a sandbox key (see the module docstring)."""

    Kind = Transaction.Kind

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="sandbox_transactions",
        db_index=False,  # the unique (partner, external_id) leads with it
    )
    external_id = models.CharField(_("external id"), max_length=100)
    scenario = models.ForeignKey(
        "scenarios.Scenario", verbose_name=_("scenario version"), on_delete=models.CASCADE, related_name="+"
    )
    scenario_code = models.SlugField(_("scenario code"), max_length=60)
    product = models.ForeignKey(
        "products.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Transaction.Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    occurred_at = models.DateTimeField(_("occurred at"))
    occurred_on = models.DateField(_("business date"))
    received_at = models.DateTimeField(_("received at"))
    customer_ref = models.CharField(_("customer reference"), max_length=64, blank=True)
    refund_of = models.ForeignKey(
        "self",
        verbose_name=_("refund of"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="refunds",
    )
    content_hash = models.CharField(_("content hash"), max_length=64)
    offer_id = models.CharField(_("offer id"), max_length=40, blank=True, default="")
    offer_quoted_at = models.DateTimeField(_("offer quoted at"), null=True, blank=True)

    # The API's transaction shape has a statement: a sandbox row is never settled.
    statement_id = None

    class Meta:
        verbose_name = _("sandbox transaction")
        verbose_name_plural = _("sandbox transactions")
        ordering = ("-occurred_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_id"], name="sandbox_transaction_external_id_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="sandbox_transaction_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount__lte=TRANSACTION_AMOUNT_MAX),
                name="sandbox_transaction_amount_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["sale", "refund"]), name="sandbox_transaction_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(kind="refund") | Q(refund_of__isnull=True),
                name="sandbox_transaction_only_refunds_refund",
            ),
            models.CheckConstraint(
                condition=Q(offer_id="") | Q(offer_quoted_at__isnull=False),
                name="sandbox_transaction_offer_has_quote_time",
            ),
        ]
        indexes = [
            # The API list: a partner's sandbox rows, newest first.
            models.Index(fields=["partner", "-occurred_at", "-id"], name="sandbox_tx_partner_time_idx"),
            # The simulated settlement: one partner's scenario over a range of business dates.
            models.Index(fields=["partner", "scenario_code", "occurred_on"], name="sandbox_tx_settle_idx"),
            # The retention purge.
            models.Index(fields=["received_at"], name="sandbox_tx_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} · {self.get_kind_display()} · {money_text(self.amount, self.currency)}"

    @property
    def signed_amount(self):
        return -self.amount if self.kind == Transaction.Kind.REFUND else self.amount
