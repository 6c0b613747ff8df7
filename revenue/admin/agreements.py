"""Agreements in the admin: a maker drafts and submits, a checker (never the maker) approves
or sends back; only drafts are edited, each save through the services."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import (
    HistoryAdmin,
    ObjectDecisionsMixin,
    ReadOnlyInline,
    ServiceAddAdminMixin,
    ServiceAddForm,
    action_with_reason,
    run_per_object,
)
from core.four_eyes import maker_parts
from core.money import money_text, percent_text

from .. import selectors, services
from ..models import Agreement, AgreementStatusChange


def terms_text(model: str, terms: dict, currency: str) -> str:
    """An agreement's terms as a finance maker reads them: rates as percentages, amounts as
    money (``30.00 %``; ``up to 1,000.00 CNY: 10.00 %; above: 20.00 %``; ``2.50 CNY``)."""
    try:
        if model == Agreement.Model.PERCENTAGE:
            return percent_text(terms["rate"])
        if model == Agreement.Model.FIXED_PER_TRANSACTION:
            return _("%(amount)s per transaction") % {"amount": money_text(terms["amount"], currency)}
        if model == Agreement.Model.TIERED:
            return "; ".join(
                _("above: %(rate)s") % {"rate": percent_text(tier["rate"])}
                if tier.get("up_to") is None
                else _("up to %(amount)s: %(rate)s")
                % {"amount": money_text(tier["up_to"], currency), "rate": percent_text(tier["rate"])}
                for tier in terms["tiers"]
            )
    except (KeyError, TypeError, ArithmeticError, ValueError):
        pass  # terms the services refused to keep never reach here; show them raw if they do
    return json.dumps(terms, ensure_ascii=False)


class AgreementAddForm(ServiceAddForm):
    terms = forms.JSONField(
        label=gettext_lazy("terms"),
        help_text=Agreement._meta.get_field("terms").help_text,
        initial={"rate": "0.300000"},
    )

    class Meta:
        model = Agreement
        fields = (
            "partner",
            "scenario",
            "model",
            "terms",
            "cycle",
            "effective_from",
            "effective_to",
            "supersedes",
        )

    def run_service(self, cleaned: dict) -> Agreement:
        return services.agreement_create(actor=self.actor, **cleaned)


class StatusChangeInline(ReadOnlyInline):
    model = AgreementStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields


@admin.register(Agreement)
class AgreementAdmin(ObjectDecisionsMixin, ServiceAddAdminMixin, HistoryAdmin):
    add_form = AgreementAddForm
    list_display = (
        "partner",
        "scenario_code",
        "model",
        "cycle",
        "effective_from",
        "effective_to",
        "status",
        "created_by",
        "approved_by",
    )
    list_filter = ("status", "model", "cycle")
    list_select_related = ("partner", "created_by", "approved_by")
    search_fields = ("partner__slug", "partner__display_name", "scenario_code")
    raw_id_fields = ("partner", "scenario", "supersedes")
    readonly_fields = (
        "partner",
        "scenario",
        "scenario_code",
        "basis",
        "status",
        "supersedes",
        "created_by",
        "edited_by",
        "approved_by",
        "approved_at",
        "created_at",
        "terms_display",
    )
    fields = (
        "partner",
        "scenario",
        "model",
        "terms",
        "terms_display",
        "cycle",
        "currency",
        "effective_from",
        "effective_to",
        "status",
        "supersedes",
        "created_by",
        "edited_by",
        "approved_by",
        "approved_at",
    )
    inlines = [StatusChangeInline]
    actions = ["submit", "approve", "send_back"]

    @admin.display(description=gettext_lazy("edited by"))
    def edited_by(self, obj):
        """Staff who changed the draft's terms after it was made: makers too, never its approver."""
        return ", ".join(obj.editors.order_by("email").values_list("email", flat=True)) or "-"

    @admin.display(description=gettext_lazy("terms"))
    def terms_display(self, obj):
        return terms_text(obj.model, obj.terms, obj.currency)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.status != Agreement.Status.DRAFT:
            return (
                *self.readonly_fields,
                "model",
                "terms",
                "cycle",
                "currency",
                "effective_from",
                "effective_to",
            )
        return self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            changes = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in services.agreements.EDITABLE_FIELDS
            }
            services.agreement_update(agreement=obj, actor=request.user, **changes)

    def has_submit_permission(self, request):
        return request.user.has_perm("revenue.submit_agreement")

    def has_approve_permission(self, request):
        return request.user.has_perm("revenue.approve_agreement")

    def object_decisions(self, request, obj) -> tuple[list[tuple[str, str]], list[str]]:
        """A maker of a pending agreement is told why *Approve* is not theirs."""
        if obj.status != Agreement.Status.PENDING_APPROVAL:
            return [], []
        parts = maker_parts(request.user, selectors.agreement_makers(agreements=[obj])[obj.pk])
        if not parts:
            return [], []
        return [], [_("You %(parts)s: another person approves this agreement.") % {"parts": ", ".join(parts)}]

    @admin.action(description=gettext_lazy("Submit for approval"), permissions=["submit"])
    def submit(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda a: services.agreement_submit(agreement=a, actor=request.user),
            success=lambda a: _("%(agreement)s: submitted.") % {"agreement": a},
        )

    @admin.action(description=gettext_lazy("Approve (checker: not the maker)"), permissions=["approve"])
    def approve(self, request, queryset):
        run_per_object(
            request,
            queryset,
            lambda a: services.agreement_approve(agreement=a, actor=request.user),
            success=lambda a: _("%(agreement)s: approved, now active.") % {"agreement": a},
        )

    @admin.action(description=gettext_lazy("Send back to the maker"), permissions=["approve"])
    def send_back(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset,
            label=_("Send back to the maker"),
            action="send_back",
            reason_required=True,
            apply=lambda a, reason: services.agreement_return(agreement=a, actor=request.user, reason=reason),
            success=lambda a: _("%(agreement)s: sent back.") % {"agreement": a},
        )
