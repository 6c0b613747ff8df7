"""The ledger in the admin: read-only (no add, change or delete), exported as a streamed CSV;
imports of partner files with a progress bar."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin, ServiceAddAdminMixin, ServiceAddForm
from core.money import money_column
from scenarios.selectors import consent_in_force

from .. import exports, selectors
from ..models import Transaction, TransactionImport
from ..services.imports import transaction_import_create
from ._common import progress_bar


class SettleableFilter(admin.SimpleListFilter):
    """The report of unsettleable transactions: rows no approved agreement covers."""

    title = gettext_lazy("agreement")
    parameter_name = "covered"

    def lookups(self, request, model_admin):
        return [("no", gettext_lazy("No agreement covers it (unsettleable)"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return selectors.transactions_without_agreement(queryset)
        return queryset


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "external_id",
        "partner",
        "scenario_code",
        "product",
        "kind",
        "money",
        "occurred_at",
        "source",
        "statement_number",
    )
    list_filter = (SettleableFilter, "kind", "source", "occurred_on")
    money = money_column(Transaction, "amount")
    list_select_related = ("partner", "product")
    search_fields = ("=external_id", "partner__slug")
    date_hierarchy = "occurred_on"
    show_full_result_count = False  # no COUNT(*) over the whole ledger on every page
    fields = (
        "partner",
        "external_id",
        "scenario",
        "scenario_code",
        "product",
        "kind",
        "amount",
        "currency",
        "occurred_at",
        "occurred_on",
        "received_at",
        "customer_ref",
        "consent",
        "source",
        "content_hash",
        "late",
        "refund_of",
        "statement_number",
    )
    readonly_fields = fields
    actions = ["export_csv"]

    def get_queryset(self, request):
        # Which statement settled each row follows from the statements' ledger bounds.
        return selectors.with_statement(super().get_queryset(request))

    @admin.display(description=gettext_lazy("consent in force"))
    def consent(self, obj) -> str:
        """The customer's consent the partner had in force when the sale occurred (PIPL
        traceability of the customer reference): one query, on the change page only."""
        if not obj.customer_ref:
            return "—"
        consent = consent_in_force(
            partner_id=obj.partner_id, customer_ref=obj.customer_ref, at=obj.occurred_at
        )
        if consent is None:
            return gettext_lazy("None recorded")
        return format_html(
            '<a href="{}">{}</a> · {} · {}',
            reverse("admin:scenarios_consent_change", args=[consent.pk]),
            consent.consent_id,
            ", ".join(consent.purpose_labels),
            f"{timezone.localtime(consent.granted_at):%Y-%m-%d %H:%M}",
        )

    @admin.display(description=gettext_lazy("statement"), ordering="statement_id")
    def statement_number(self, obj):
        return obj.statement_id or "-"

    def has_export_permission(self, request):
        return request.user.has_perm("revenue.export_transaction")

    @admin.action(description=gettext_lazy("Export the selected transactions (CSV)"), permissions=["export"])
    def export_csv(self, request, queryset):
        return exports.transactions_csv(queryset)


class ImportForm(ServiceAddForm):
    class Meta:
        model = TransactionImport
        fields = ("partner", "file")
        help_texts = {
            "file": gettext_lazy(
                "CSV (UTF-8) or XLSX with the columns external_id, scenario, product, kind, amount, currency, "
                "occurred_at and optionally customer_id and refund_of (a refund: the sale's external_id). "
                "Nothing is written unless every row is valid."
            )
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(gettext_lazy("Upload a .csv or .xlsx file."))
        return upload

    def run_service(self, cleaned: dict) -> TransactionImport:
        return transaction_import_create(partner=cleaned["partner"], file=cleaned["file"], actor=self.actor)


@admin.register(TransactionImport)
class TransactionImportAdmin(ServiceAddAdminMixin, ReadOnlyAdmin):
    add_form = ImportForm
    list_display = (
        "id",
        "partner",
        "file_name",
        "status",
        "progress_bar",
        "rows_total",
        "created",
        "duplicates",
        "created_by",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("partner", "created_by")
    raw_id_fields = ("partner",)
    fields = (
        "partner",
        "file_name",
        "status",
        "progress_bar",
        "rows_total",
        "rows_done",
        "created",
        "duplicates",
        "errors",
        "created_by",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    # The name only: uploaded files are never served from MEDIA_URL (partner data).
    @admin.display(description=gettext_lazy("file"))
    def file_name(self, obj):
        return obj.file_name or "-"

    def response_add(self, request, obj, post_url_continue=None):
        """To the import's live progress in the staff console."""
        return HttpResponseRedirect(reverse("console:transaction_import", args=[obj.pk]))

    @admin.display(description=gettext_lazy("progress"))
    def progress_bar(self, obj):
        return progress_bar(obj.progress)

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("revenue.import_transaction")
