"""The admin of the console's tables: risk signals, read-only."""

from django.contrib import admin

from .models import RiskSignal


@admin.register(RiskSignal)
class RiskSignalAdmin(admin.ModelAdmin):
    """Read-only: signals are raised by the scan and decided on the console's risk page."""

    list_display = ("detected_at", "rule", "severity", "partner", "subject", "window_start", "status")
    list_filter = ("status", "rule", "severity", "window_start")
    list_select_related = ("partner",)
    search_fields = ("partner__slug", "subject")
    date_hierarchy = "window_start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
