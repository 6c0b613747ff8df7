"""Where the funnel's sales refresh has got to in the ledger."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FunnelSalesMark(models.Model):
    """One row: the ``received_at`` up to which attributed transactions have been folded into
    ``scenarios.OfferFunnelDaily`` (``revenue.services.funnel.funnel_sales_refresh``)."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    received_through = models.DateTimeField(_("received through"))
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("funnel refresh mark")
        verbose_name_plural = _("funnel refresh marks")

    def __str__(self) -> str:
        return f"{self.name}: {self.received_through:%Y-%m-%d %H:%M:%S}"
