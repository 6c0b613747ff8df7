"""Reward grants in the admin: read only (grants are written when sales are recorded), with
their split and the statement that deducted the partner's part."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from core.money import money_column

from ..models import RewardGrant


@admin.register(RewardGrant)
class RewardGrantAdmin(ReadOnlyAdmin):
    list_display = (
        "granted_at",
        "campaign",
        "partner",
        "offer_id",
        "amount_shown",
        "partner_amount_shown",
        "bank_amount_shown",
        "statement",
    )
    list_filter = ("campaign",)
    list_select_related = ("campaign", "partner", "statement", "statement__partner")
    search_fields = ("=offer_id", "campaign__code", "partner__slug")
    show_full_result_count = False
    amount_shown = money_column(RewardGrant, "amount")
    partner_amount_shown = money_column(RewardGrant, "partner_amount")
    bank_amount_shown = money_column(RewardGrant, "bank_amount")
