"""Reconciliation in the admin: staff with ``payouts.reconcile_bankstatement`` upload a bank
statement (camt.053 or CSV) and see its summary; the entries that did not match are listed
for a decision (accept as paid, mark the payout returned, dismiss), each with a reason, by
someone holding ``payouts.decide_bankstatemententry`` who did not import the file."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import ReadOnlyAdmin, ReadOnlyInline, action_with_reason, require_permission
from core.domain import DomainError
from core.money import money_column

from ..models import BankStatementEntry, BankStatementImport, PayoutStatusChange
from ..selectors import import_summary
from ..services.reconcile import (
    DECIDE_PERMISSION,
    IMPORT_PERMISSION,
    bank_entry_decide,
    bank_statement_import,
)

Decision = BankStatementEntry.Decision


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("bank statement"),
        help_text=gettext_lazy(
            "ISO 20022 camt.053 XML, or CSV with the columns end_to_end_id, amount, currency, "
            "value_date, bank_reference, status."
        ),
    )


class EntryInline(ReadOnlyInline):
    model = BankStatementEntry
    fields = (
        "position",
        "end_to_end_id",
        "amount",
        "currency",
        "value_date",
        "bank_reference",
        "outcome",
        "decision",
    )
    readonly_fields = fields


@admin.register(BankStatementImport)
class BankStatementImportAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "filename",
        "file_format",
        "imported_at",
        "imported_by",
        "entry_count",
        "matched_count",
        "exception_count",
    )
    list_select_related = ("imported_by",)
    fields = (
        "filename",
        "file_format",
        "statement_id",
        "sha256",
        "imported_by",
        "imported_at",
        "entry_count",
        "matched_count",
        "matched_amount",
        "exception_count",
    )
    readonly_fields = fields
    inlines = [EntryInline]
    change_list_template = "admin/payouts/bankstatementimport/change_list.html"

    def get_urls(self):
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="payouts_bankstatementimport_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        require_permission(request, IMPORT_PERMISSION, _("Importing a bank statement"))
        form = UploadForm(request.POST or None, request.FILES or None)
        summary = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.BANK_STATEMENT_MAX_BYTES:
                form.add_error(
                    "file",
                    _("The file is larger than %(limit)s bytes: it is not read.")
                    % {"limit": settings.BANK_STATEMENT_MAX_BYTES},
                )
            else:
                try:
                    result = bank_statement_import(
                        content=upload.read(), filename=upload.name, actor=request.user
                    )
                except DomainError as exc:
                    form.add_error("file", exc.message)
                else:
                    if result.already:
                        messages.warning(request, _("This file was imported before: nothing changed."))
                    summary = import_summary(result.statement_import)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a bank statement"),
            "form": form,
            "summary": summary,
            "open_url": reverse("admin:payouts_bankstatemententry_changelist") + "?open=1",
        }
        status = 400 if request.method == "POST" and form.errors else 200
        return TemplateResponse(
            request, "admin/payouts/bankstatementimport/upload.html", context, status=status
        )


class OpenFilter(admin.SimpleListFilter):
    title = gettext_lazy("decision")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("1", _("Open: waiting for a decision")), ("0", _("All"))]

    def queryset(self, request, queryset):
        if self.value() == "0":
            return queryset
        return queryset.filter(outcome__in=BankStatementEntry.EXCEPTIONS, decision=Decision.OPEN)

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "1") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


@admin.register(BankStatementEntry)
class BankStatementEntryAdmin(ReadOnlyAdmin):
    """Open exceptions first: the default list is what waits for a decision."""

    list_display = (
        "id",
        "statement_import",
        "end_to_end_id",
        "money",
        "value_date",
        "bank_reference",
        "outcome",
        "note_shown",
        "payout",
        "decision",
        "decided_by",
    )
    money = money_column(BankStatementEntry, "amount")
    list_filter = (OpenFilter, "outcome", "decision")
    list_select_related = ("statement_import", "payout", "decided_by")
    search_fields = ("end_to_end_id", "bank_reference")
    fields = (
        "statement_import",
        "position",
        "end_to_end_id",
        "amount",
        "currency",
        "debit",
        "booked",
        "reversal",
        "booking_date",
        "value_date",
        "bank_reference",
        "return_reason",
        "payout",
        "outcome",
        "note_shown",
        "decision",
        "decided_by",
        "decided_at",
        "decision_reason",
    )
    readonly_fields = fields
    actions = ["accept_as_paid", "mark_returned", "dismiss"]

    @admin.display(description=gettext_lazy("note"))
    def note_shown(self, obj) -> str:
        """The service's note (an English message id) in the reader's language."""
        return _(obj.note) if obj.note else ""

    def has_decide_permission(self, request):
        return request.user.has_perm(DECIDE_PERMISSION)

    def _decide(self, request, queryset, decision: str, label: str):
        def refusals(entries):
            return {
                e.pk: _("You imported this file: someone else decides its entries.")
                for e in entries
                if e.statement_import.imported_by_id == request.user.pk
            }

        return action_with_reason(
            self,
            request,
            queryset.select_related("statement_import"),
            label=label,
            action={Decision.ACCEPTED: "accept_as_paid", Decision.RETURNED: "mark_returned"}.get(
                decision, "dismiss"
            ),
            reason_required=True,
            apply=lambda e, reason: bank_entry_decide(
                entry=e, decision=decision, reason=reason, actor=request.user
            ),
            success=lambda e: _("Entry %(id)d decided.") % {"id": e.pk},
            refusals=refusals,
        )

    @admin.action(description=gettext_lazy("Accept as paid"), permissions=["decide"])
    def accept_as_paid(self, request, queryset):
        return self._decide(request, queryset, Decision.ACCEPTED, _("Accept as paid"))

    @admin.action(description=gettext_lazy("Mark the payout returned"), permissions=["decide"])
    def mark_returned(self, request, queryset):
        return self._decide(request, queryset, Decision.RETURNED, _("Mark the payout returned"))

    @admin.action(description=gettext_lazy("Dismiss"), permissions=["decide"])
    def dismiss(self, request, queryset):
        return self._decide(request, queryset, Decision.DISMISSED, _("Dismiss"))


@admin.register(PayoutStatusChange)
class PayoutStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("payout", "from_status", "to_status", "changed_by", "changed_at", "reason")
    list_select_related = ("payout", "changed_by")
    fields = list_display
    readonly_fields = fields
