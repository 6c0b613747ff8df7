"""Calls that used a deprecated route or field: per key, business day and deprecation, rolled up
from the buffered counters (``partners.api.deprecation``) by the periodic flush."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .core import Partner
from .keys import PartnerAPIKey


class ApiDeprecationUsage(models.Model):
    key = models.ForeignKey(
        PartnerAPIKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    # ``API_DEPRECATIONS[…]["code"]``: kept after the entry leaves the registry.
    code = models.CharField(_("deprecation"), max_length=60)
    calls = models.PositiveIntegerField(_("calls"), default=0)

    class Meta:
        verbose_name = _("deprecated API use")
        verbose_name_plural = _("deprecated API use")
        ordering = ("-day", "code")
        constraints = [
            models.UniqueConstraint(fields=["key", "day", "code"], name="apidepusage_key_day_code_unique"),
        ]
        indexes = [
            # The notices and the dashboard card: the calls of each code over the last days.
            models.Index(fields=["code", "day"], name="apidepusage_code_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.day}: {self.calls}"
