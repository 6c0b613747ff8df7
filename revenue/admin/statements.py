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

from core.admin import (
    ObjectDecisionsMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    action_with_reason,
    permission_refusal,
    require_permission,
    run_per_object,
)
from core.four_eyes import is_maker
from core.money import money_column
from core.widgets import DateInput

from .. import exports, selectors, services
from ..models import SettlementRun, Statement, StatementLine, StatementStatusChange
from ._common import form_page, progress_bar


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
        widget=DateInput(),
    )


class ConfirmForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class SendBackForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Statement)
class StatementAdmin(ObjectDecisionsMixin, ReadOnlyAdmin):
    list_display = (
        "partner",
        "scenario_code",
        "period_start",
        "period_end",
        "status",
        "transaction_count",
        "gross",
        "share",
        "adjustments",
        "prepared_by",
        "approved_by",
        "payout_recorded_by",
    )
    list_filter = ("status", "period_start")
    list_select_related = ("partner", "prepared_by", "approved_by", "payout_recorded_by")
    gross = money_column(Statement, "gross_amount")
    share = money_column(Statement, "share_amount")
    adjustments = money_column(Statement, "adjustment_amount")
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
        "payout_recorded_by",
        "payout_recorded_at",
        "payout_confirmed_by",
        "payout_confirmed_at",
        "files",
    )
    readonly_fields = fields
    inlines = [LineInline, StatementStatusInline]
    actions = ["prepare", "approve", "confirm_payout", "send_payout_back"]

    def has_prepare_permission(self, request):
        return request.user.has_perm("revenue.prepare_statement")

    def has_approve_permission(self, request):
        return request.user.has_perm("revenue.approve_statement")

    def has_confirm_payout_permission(self, request):
        return request.user.has_perm("revenue.confirm_statement_payout")

    def object_decisions(self, request, obj) -> tuple[list[tuple[str, str]], list[str]]:
        """Record the payout (approved), confirm or send it back (recorded): only to who may."""
        user, S = request.user, Statement.Status
        buttons: list[tuple[str, str]] = []
        notes: list[str] = []
        preparer = is_maker(user, selectors.statement_makers(obj))
        if obj.status == S.DRAFT and preparer and user.has_perm("revenue.approve_statement"):
            notes.append(_("You prepared this statement: another person approves it."))
        if obj.status == S.APPROVED and user.has_perm("revenue.pay_statement"):
            buttons.append((reverse("admin:revenue_statement_pay", args=[obj.pk]), _("Record the payout")))
        if obj.status == S.RECORDED and user.has_perm("revenue.confirm_statement_payout"):
            if is_maker(user, selectors.payout_makers(obj)):
                notes.append(_("You recorded this payout: another person confirms it."))
            else:
                buttons += [
                    (reverse("admin:revenue_statement_confirm", args=[obj.pk]), _("Confirm the payout")),
                    (reverse("admin:revenue_statement_send_back", args=[obj.pk]), _("Send the payout back")),
                ]
        return buttons, notes

    @admin.display(description=gettext_lazy("files"))
    def files(self, obj):
        links = [
            (reverse("admin:revenue_statement_csv", args=[obj.pk]), _("Statement CSV")),
            (reverse("admin:revenue_statement_xlsx", args=[obj.pk]), _("Statement XLSX")),
            (reverse("admin:revenue_statement_transactions", args=[obj.pk]), _("Transaction detail (CSV)")),
        ]
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
            path("<int:pk>/confirm/", wrap(self.confirm_view), name="revenue_statement_confirm"),
            path("<int:pk>/send-back/", wrap(self.send_back_view), name="revenue_statement_send_back"),
            *super().get_urls(),
        ]

    def _statement(self, request, pk):
        if not self.has_view_permission(request):
            raise permission_refusal("revenue.view_statement", _("Downloading a statement"))
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
        require_permission(request, "revenue.pay_statement", _("Recording a payout"))
        form = PayForm(request.POST or None)
        return form_page(
            self,
            request,
            form=form,
            obj=statement,
            title=_("Record the payout"),
            submit_label=_("Record the payout"),
            intro=_("Another person confirms the payout against the bank; then the statement is paid."),
            apply=lambda data: (
                services.statement_pay(statement=statement, actor=request.user, **data)
                and _("%(statement)s: payout recorded, awaiting confirmation.") % {"statement": statement}
            ),
        )

    def _recorded(self, request, pk) -> Statement:
        """The statement whose recorded payout ``request.user`` may decide; else 403."""
        statement = get_object_or_404(Statement, pk=pk)
        require_permission(
            request, "revenue.confirm_statement_payout", _("Confirming or sending back a payout")
        )
        if is_maker(request.user, selectors.payout_makers(statement)):
            raise PermissionDenied(
                _("You recorded this payout; another person must confirm it or send it back (four eyes).")
            )
        return statement

    def confirm_view(self, request, pk):
        statement = self._recorded(request, pk)
        return form_page(
            self,
            request,
            form=ConfirmForm(request.POST or None),
            obj=statement,
            title=_("Confirm the payout"),
            submit_label=_("Confirm the payout"),
            intro=_("Payout %(reference)s of %(date)s: confirm it only after checking it against the bank.")
            % {"reference": statement.payout_reference, "date": statement.paid_on},
            apply=lambda data: (
                services.statement_payout_confirm(statement=statement, actor=request.user, **data)
                and _("%(statement)s: paid.") % {"statement": statement}
            ),
        )

    def send_back_view(self, request, pk):
        statement = self._recorded(request, pk)
        return form_page(
            self,
            request,
            form=SendBackForm(request.POST or None),
            obj=statement,
            title=_("Send the payout back"),
            submit_label=_("Send the payout back"),
            apply=lambda data: (
                services.statement_payout_return(statement=statement, actor=request.user, **data)
                and _("%(statement)s: payout sent back.") % {"statement": statement}
            ),
        )

    @admin.action(
        description=gettext_lazy("Confirm the recorded payouts (not one you recorded)"),
        permissions=["confirm_payout"],
    )
    def confirm_payout(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda s: services.statement_payout_confirm(statement=s, actor=request.user),
            success=lambda s: _("%(statement)s: paid.") % {"statement": s},
        )

    @admin.action(description=gettext_lazy("Send the recorded payouts back"), permissions=["confirm_payout"])
    def send_payout_back(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            label=_("Send the payout back"),
            action="send_payout_back",
            reason_required=True,
            apply=lambda s, reason: services.statement_payout_return(
                statement=s, actor=request.user, reason=reason
            ),
            success=lambda s: _("%(statement)s: payout sent back.") % {"statement": s},
        )

    @admin.action(description=gettext_lazy("Prepare: checked, send for approval"), permissions=["prepare"])
    def prepare(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda s: services.statement_prepare(statement=s, actor=request.user),
            success=lambda s: _("%(statement)s: prepared.") % {"statement": s},
        )

    @admin.action(description=gettext_lazy("Approve (checker: not the preparer)"), permissions=["approve"])
    def approve(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda s: services.statement_approve(statement=s, actor=request.user),
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
        "periods_failed",
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
        "periods_failed",
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
        """Settle through yesterday, as the nightly schedule does: planned here (the run exists
        when the page answers), its periods settled on the workers; the run's page follows it."""
        require_permission(request, "revenue.run_settlement", _("Starting a settlement run"))
        if request.method != "POST":
            raise PermissionDenied(_("A settlement run is started with the button on the runs' page."))
        through = timezone.localdate() - timedelta(days=1)
        run = services.settlement_start(
            through=through, trigger=SettlementRun.Trigger.STAFF, actor=request.user
        )
        messages.success(request, _("Settlement through %(date)s started.") % {"date": through})
        return HttpResponseRedirect(reverse("console:settlement_run", args=[run.pk]))
