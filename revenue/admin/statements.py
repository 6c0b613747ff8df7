"""Statements (lines inline; prepare, approve and pay; CSV/XLSX and the transaction detail) and
settlement runs (with a progress bar; staff start one)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.admin.base import run_per_object

from .. import exports, selectors, services
from ..models import SettlementRun, Statement, StatementLine, StatementStatusChange
from ._common import ReadOnlyAdmin, ReadOnlyInline, form_page, progress_bar


class LineInline(ReadOnlyInline):
    model = StatementLine
    fk_name = "statement"
    fields = (
        "scenario_code",
        "product",
        "kind",
        "transaction_count",
        "gross_amount",
        "share_amount",
        "adjusts",
        "adjustment",
    )
    readonly_fields = fields


class StatementStatusInline(ReadOnlyInline):
    model = StatementStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields


class PayForm(forms.Form):
    payout_reference = forms.CharField(label=gettext_lazy("payout reference"), max_length=100)
    paid_on = forms.DateField(
        label=gettext_lazy("paid on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = (
        "partner",
        "scenario_code",
        "period_start",
        "period_end",
        "status",
        "transaction_count",
        "gross_amount",
        "share_amount",
        "adjustment_amount",
        "prepared_by",
        "approved_by",
    )
    list_filter = ("status", "period_start")
    list_select_related = ("partner", "prepared_by", "approved_by")
    search_fields = ("partner__slug", "partner__display_name", "scenario_code")
    date_hierarchy = "period_start"
    fields = (
        "agreement",
        "partner",
        "scenario_code",
        "period_start",
        "period_end",
        "status",
        "currency",
        "transaction_count",
        "gross_amount",
        "share_amount",
        "adjustment_amount",
        "run",
        "generated_at",
        "prepared_by",
        "prepared_at",
        "approved_by",
        "approved_at",
        "paid_on",
        "payout_reference",
        "files",
    )
    readonly_fields = fields
    inlines = [LineInline, StatementStatusInline]
    actions = ["prepare", "approve"]

    def has_prepare_permission(self, request):
        return request.user.has_perm("revenue.prepare_statement")

    def has_approve_permission(self, request):
        return request.user.has_perm("revenue.approve_statement")

    @admin.display(description=gettext_lazy("files and actions"))
    def files(self, obj):
        links = [
            (reverse("admin:revenue_statement_csv", args=[obj.pk]), _("Statement CSV")),
            (reverse("admin:revenue_statement_xlsx", args=[obj.pk]), _("Statement XLSX")),
            (reverse("admin:revenue_statement_transactions", args=[obj.pk]), _("Transaction detail (CSV)")),
        ]
        if obj.status == Statement.Status.APPROVED:
            links.append((reverse("admin:revenue_statement_pay", args=[obj.pk]), _("Record the payout")))
        return format_html(
            " · ".join(['<a href="{}">{}</a>'] * len(links)), *[v for pair in links for v in pair]
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/csv/", wrap(self.csv_view), name="revenue_statement_csv"),
            path("<int:pk>/xlsx/", wrap(self.xlsx_view), name="revenue_statement_xlsx"),
            path(
                "<int:pk>/transactions/", wrap(self.transactions_view), name="revenue_statement_transactions"
            ),
            path("<int:pk>/pay/", wrap(self.pay_view), name="revenue_statement_pay"),
            *super().get_urls(),
        ]

    def _statement(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return selectors.statement_with_lines(statement_id=pk)

    def csv_view(self, request, pk):
        return exports.statement_csv(self._statement(request, pk))

    def xlsx_view(self, request, pk):
        return exports.statement_xlsx(self._statement(request, pk))

    def transactions_view(self, request, pk):
        statement = self._statement(request, pk)
        rows = selectors.statement_transactions(statement)
        return exports.transactions_csv(rows, filename=f"statement-{statement.pk}-transactions.csv")

    def pay_view(self, request, pk):
        statement = get_object_or_404(Statement, pk=pk)
        if not request.user.has_perm("revenue.pay_statement"):
            raise PermissionDenied
        form = PayForm(request.POST or None)
        return form_page(
            self,
            request,
            form=form,
            obj=statement,
            title=_("Record the payout"),
            submit_label=_("Record the payout"),
            apply=lambda data: (
                services.statement_pay(statement=statement, by=request.user, **data)
                and _("%(statement)s: paid.") % {"statement": statement}
            ),
        )

    @admin.action(description=gettext_lazy("Prepare: checked, send for approval"), permissions=["prepare"])
    def prepare(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda s: services.statement_prepare(statement=s, by=request.user),
            success=lambda s: _("%(statement)s: prepared.") % {"statement": s},
        )

    @admin.action(description=gettext_lazy("Approve (checker: not the preparer)"), permissions=["approve"])
    def approve(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda s: services.statement_approve(statement=s, by=request.user),
            success=lambda s: _("%(statement)s: approved.") % {"statement": s},
        )


@admin.register(SettlementRun)
class SettlementRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "through",
        "trigger",
        "status",
        "progress_bar",
        "periods_done",
        "periods_planned",
        "statements_created",
        "transactions_settled",
        "started_by",
        "started_at",
        "finished_at",
    )
    list_filter = ("status", "trigger")
    list_select_related = ("started_by",)
    fields = (
        "through",
        "trigger",
        "status",
        "progress_bar",
        "periods_planned",
        "periods_done",
        "statements_created",
        "transactions_settled",
        "errors",
        "task_id",
        "started_by",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields
    change_list_template = "revenue/admin/settlementrun_change_list.html"

    @admin.display(description=gettext_lazy("progress"))
    def progress_bar(self, obj):
        return progress_bar(obj.progress)

    def get_urls(self):
        return [
            path("start/", self.admin_site.admin_view(self.start_view), name="revenue_settlementrun_start"),
            *super().get_urls(),
        ]

    def start_view(self, request):
        """Settle through yesterday on the workers, as the nightly schedule does."""
        if request.method != "POST" or not request.user.has_perm("revenue.run_settlement"):
            raise PermissionDenied
        from ..tasks import settle

        through = timezone.localdate() - timedelta(days=1)
        settle.delay(through.isoformat(), SettlementRun.Trigger.STAFF, request.user.pk)
        messages.success(request, _("Settlement through %(date)s started.") % {"date": through})
        return HttpResponseRedirect(reverse("admin:revenue_settlementrun_changelist"))
