"""Disputes in the admin: staff propose an adjustment (another staff member approves it) or
reject the dispute with a reason; the whole trail is shown."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import (
    HistoryAdmin,
    ObjectDecisionsMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    action_with_reason,
    require_permission,
    run_per_object,
)
from core.four_eyes import is_maker
from core.money import money_column

from .. import selectors, services
from ..models import Adjustment, Dispute, DisputeEvent
from ._common import form_page


class EventInline(ReadOnlyInline):
    model = DisputeEvent
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields


class AdjustmentInline(ReadOnlyInline):
    model = Adjustment
    fields = ("amount", "reason", "status", "created_by", "decided_by", "decided_at")
    readonly_fields = fields


class ProposeForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("share adjustment"),
        max_digits=16,
        decimal_places=2,
        help_text=gettext_lazy("Positive: owed to the partner; negative: owed back."),
    )
    reason = forms.CharField(label=gettext_lazy("reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Dispute)
class DisputeAdmin(ObjectDecisionsMixin, ReadOnlyAdmin, HistoryAdmin):
    list_display = ("id", "partner", "disputed_line", "status", "raised_by", "raised_at")
    list_filter = ("status",)
    list_select_related = ("partner", "raised_by", "line__statement__agreement__scenario", "line__product")
    fields = ("partner", "disputed_line", "reason", "status", "raised_by", "raised_at", "resolution")
    readonly_fields = fields
    inlines = [EventInline, AdjustmentInline]
    actions = ["reject"]

    def has_resolve_permission(self, request):
        return request.user.has_perm("revenue.resolve_dispute")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=gettext_lazy("line"))
    def disputed_line(self, obj) -> str:
        """The line in words: scenario, product and kind by name, and its share."""
        line = obj.line
        return f"{line.statement.agreement.scenario.local_name} · {line}"

    def object_decisions(self, request, obj) -> tuple[list[tuple[str, str]], list[str]]:
        """*Propose an adjustment* on an open dispute, to staff who resolve disputes and did not
        raise it."""
        if obj.status != Dispute.Status.OPEN or not request.user.has_perm("revenue.resolve_dispute"):
            return [], []
        if is_maker(request.user, selectors.dispute_makers(obj)):
            return [], [_("You raised this dispute: another person resolves it.")]
        return [(reverse("admin:revenue_dispute_propose", args=[obj.pk]), _("Propose an adjustment"))], []

    def get_urls(self):
        return [
            path(
                "<int:pk>/propose/",
                self.admin_site.admin_view(self.propose_view),
                name="revenue_dispute_propose",
            ),
            *super().get_urls(),
        ]

    def propose_view(self, request, pk):
        dispute = get_object_or_404(Dispute, pk=pk)
        require_permission(request, "revenue.resolve_dispute", _("Proposing an adjustment"))
        form = ProposeForm(request.POST or None)
        return form_page(
            self,
            request,
            form=form,
            obj=dispute,
            title=_("Propose an adjustment"),
            submit_label=_("Propose"),
            intro=_("Another staff member approves it; it lands in the agreement's next statement."),
            apply=lambda data: (
                services.dispute_propose_adjustment(dispute=dispute, actor=request.user, **data)
                and _("Adjustment proposed: it waits for approval.")
            ),
        )

    @admin.action(description=gettext_lazy("Reject the dispute"), permissions=["resolve"])
    def reject(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            label=_("Reject the dispute"),
            action="reject",
            reason_required=True,
            apply=lambda d, reason: services.dispute_reject(dispute=d, actor=request.user, reason=reason),
            success=lambda d: _("Dispute %(id)d rejected.") % {"id": d.pk},
        )


@admin.register(Adjustment)
class AdjustmentAdmin(ObjectDecisionsMixin, ReadOnlyAdmin, HistoryAdmin):
    list_display = ("id", "agreement", "dispute", "money", "status", "created_by", "decided_by", "applied")
    money = money_column(Adjustment, "amount", currency_field=None)
    list_filter = ("status",)
    list_select_related = ("agreement__partner", "dispute", "created_by", "decided_by", "line")
    fields = (
        "agreement",
        "dispute",
        "product",
        "amount",
        "reason",
        "status",
        "created_by",
        "created_at",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields
    actions = ["approve", "reject"]

    @admin.display(description=gettext_lazy("on statement"))
    def applied(self, obj):
        line = getattr(obj, "line", None)
        return line.statement_id if line else "-"

    def has_approve_permission(self, request):
        return request.user.has_perm("revenue.approve_adjustment")

    def object_decisions(self, request, obj) -> tuple[list[tuple[str, str]], list[str]]:
        pending = obj.status == Adjustment.Status.PENDING_APPROVAL
        if pending and is_maker(request.user, selectors.adjustment_makers(obj)):
            return [], [_("You proposed this adjustment: another person approves it.")]
        return [], []

    @admin.action(description=gettext_lazy("Approve (checker: not the maker)"), permissions=["approve"])
    def approve(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda a: services.adjustment_approve(adjustment=a, actor=request.user),
            success=lambda a: _("Adjustment %(id)d approved.") % {"id": a.pk},
        )

    @admin.action(description=gettext_lazy("Refuse the adjustment"), permissions=["approve"])
    def reject(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            label=_("Refuse the adjustment"),
            action="reject",
            reason_required=True,
            apply=lambda a, reason: services.adjustment_reject(
                adjustment=a, actor=request.user, reason=reason
            ),
            success=lambda a: _("Adjustment %(id)d refused.") % {"id": a.pk},
        )
