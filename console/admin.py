"""The admin of the console's tables: risk signals, read-only."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import RiskSignal


@admin.register(RiskSignal)
class RiskSignalAdmin(ReadOnlyAdmin):
    """Read-only: signals are raised by the scan and decided on the console's risk page."""

    list_display = ("detected_at", "rule", "severity", "partner", "subject", "window_start", "status")
    list_filter = ("status", "rule", "severity", "window_start")
    list_select_related = ("partner",)
    search_fields = ("partner__slug", "subject")
    date_hierarchy = "window_start"
