"""The admin of the console's tables: risk signals, read-only."""

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .evidence import evidence_rows
from .models import RiskSignal


@admin.register(RiskSignal)
class RiskSignalAdmin(ReadOnlyAdmin):
    """Read-only: signals are raised by the scan and decided on the console's risk page."""

    list_display = ("detected_at", "rule", "severity", "partner", "subject", "window_start", "status")
    list_filter = ("status", "rule", "severity", "window_start")
    list_select_related = ("partner",)
    search_fields = ("partner__slug", "subject")
    date_hierarchy = "window_start"
    fields = (
        "rule",
        "severity",
        "partner",
        "subject",
        "window_start",
        "window_end",
        "evidence_table",
        "status",
        "detected_at",
        "decided_by",
        "decided_at",
        "reason",
    )
    readonly_fields = ("evidence_table",)

    @admin.display(description=_("evidence"))
    def evidence_table(self, obj: RiskSignal) -> str:
        return render_to_string("console/_evidence.html", {"evidence": evidence_rows(obj)})
