"""Agreements in the admin: a maker drafts and submits, a checker (never the maker) approves
or sends back; only drafts are edited, each save through the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import (
    HistoryAdmin,
    ObjectDecisionsMixin,
    ReadOnlyInline,
    ServiceAddAdminMixin,
    ServiceAddForm,
    action_with_reason,
    permission_refusal,
    require_permission,
    run_per_object,
)
from core.four_eyes import maker_parts

from .. import selectors, services
from ..models import Agreement, AgreementStatusChange
from ..terms import terms_in_words
from ._common import form_page
from .agreement_forms import TIER_ROWS, AgreementChoicesForm, AgreementTermsForm


class AgreementAddForm(AgreementTermsForm, AgreementChoicesForm, ServiceAddForm):
    class Meta:
        model = Agreement
        fields = ("partner", "scenario", "model", "cycle", "effective_from", "effective_to", "supersedes")

    def run_service(self, cleaned: dict) -> Agreement | None:
        if self.previewing:
            return None
        fields = {name: cleaned[name] for name in (*self._meta.fields, "terms")}
        return services.agreement_create(actor=self.actor, **fields)


class AgreementChangeForm(AgreementTermsForm):
    class Meta:
        model = Agreement
        fields = ("model", "cycle", "currency", "effective_from", "effective_to")


TERMS_FIELDSETS = (
    (
        gettext_lazy("Percentage of the amount"),
        {"fields": ("rate_percent",), "classes": ("terms-model", "terms-percentage")},
    ),
    (
        gettext_lazy("Tiered (marginal bands)"),
        {
            "fields": tuple((f"tier_{row}_up_to", f"tier_{row}_rate") for row in range(1, TIER_ROWS + 1)),
            "classes": ("terms-model", "terms-tiered"),
            "description": gettext_lazy(
                "Each band's rate applies to the part of the month's gross inside it. Leave "
                "“up to” empty on the last band: it has no upper end."
            ),
        },
    ),
    (
        gettext_lazy("Fixed amount per transaction"),
        {"fields": ("amount",), "classes": ("terms-model", "terms-fixed_per_transaction")},
    ),
    (
        gettext_lazy("Worked example"),
        {
            "fields": (("example_gross", "example_count"),),
            "description": gettext_lazy(
                "Only the terms of the chosen model are kept. The example is priced as "
                "settlement prices a statement; it is not saved."
            ),
        },
    ),
)


class StatusChangeInline(ReadOnlyInline):
    model = AgreementStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason", "terms_hash")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("terms (SHA-256)"))
    def terms_hash(self, change) -> str:
        """The hash's first 12 characters (the whole one on hover and on the agreement itself):
        the history table keeps to the window's width."""
        if not change.terms_sha256:
            return "—"
        return format_html('<code title="{}">{}…</code>', change.terms_sha256, change.terms_sha256[:12])


class SignedAcceptanceForm(forms.Form):
    signatory = forms.CharField(
        label=gettext_lazy("Signed for the partner by"),
        max_length=200,
        help_text=gettext_lazy("The name and title on the signed copy."),
    )
    signed_copy = forms.FileField(
        label=gettext_lazy("Signed copy"), help_text=gettext_lazy("PDF, JPEG or PNG, checked by its content.")
    )
    reason = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ReviseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Agreement)
class AgreementAdmin(ObjectDecisionsMixin, ServiceAddAdminMixin, HistoryAdmin):
    add_form = AgreementAddForm
    form = AgreementChangeForm
    change_form_template = "admin/revenue/agreement/change_form.html"
    list_display = (
        "partner",
        "scenario_name",
        "model",
        "cycle",
        "effective_from",
        "effective_to",
        "status",
        "created_by",
        "approved_by",
        "accepted_by",
    )
    list_filter = ("status", "acceptance", "model", "cycle")
    list_select_related = ("partner", "scenario", "created_by", "approved_by", "accepted_by")
    search_fields = ("partner__slug", "partner__display_name", "scenario_code")
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
        "terms_sha256",
        "acceptance",
        "accepted_by",
        "accepted_at",
        "signatory",
        "signed_copy_link",
    )
    fields = (
        "partner",
        "scenario",
        "model",
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
        "terms_sha256",
        "acceptance",
        "accepted_by",
        "accepted_at",
        "signatory",
        "signed_copy_link",
    )
    inlines = [StatusChangeInline]
    actions = ["submit", "approve", "send_back"]

    @admin.display(description=gettext_lazy("edited by"))
    def edited_by(self, obj):
        """Staff who changed the draft's terms after it was made: makers too, never its approver."""
        return ", ".join(obj.editors.order_by("email").values_list("email", flat=True)) or "-"

    @admin.display(description=gettext_lazy("scenario"), ordering="scenario_code")
    def scenario_name(self, obj) -> str:
        return obj.scenario.local_name

    @admin.display(description=gettext_lazy("terms"))
    def terms_display(self, obj):
        return terms_in_words(obj.model, obj.terms, obj.currency)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return ((None, {"fields": self.add_form._meta.fields}), *TERMS_FIELDSETS)
        if obj.status == Agreement.Status.DRAFT and self.has_change_permission(request, obj):
            main = tuple(name for name in self.fields if name != "terms_display")
            return ((None, {"fields": main}), *TERMS_FIELDSETS)
        return ((None, {"fields": self.fields}),)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.status != Agreement.Status.DRAFT:
            return (
                *self.readonly_fields,
                "model",
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
            stored = Agreement.objects.values_list("terms", flat=True).get(pk=obj.pk)
            if form.cleaned_data.get("terms") not in (None, stored):
                changes["terms"] = form.cleaned_data["terms"]
            services.agreement_update(agreement=obj, actor=request.user, **changes)

    def has_submit_permission(self, request):
        return request.user.has_perm("revenue.submit_agreement")

    def has_approve_permission(self, request):
        return request.user.has_perm("revenue.approve_agreement")

    @admin.display(description=gettext_lazy("signed copy"))
    def signed_copy_link(self, obj):
        if not obj.signed_copy:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:revenue_agreement_signed_copy", args=[obj.pk]),
            _("Download"),
        )

    def object_decisions(self, request, obj) -> tuple[list[tuple[str, str]], list[str]]:
        """A maker of a pending agreement is told why *Approve* is not theirs; a sent one offers
        recording a signed acceptance (not to the checker who sent it) and withdrawing it; a
        declined one, revising it."""
        user = request.user
        buttons: list[tuple[str, str]] = []
        notes: list[str] = []
        if obj.status == Agreement.Status.PENDING_APPROVAL:
            parts = maker_parts(user, selectors.agreement_makers(agreements=[obj])[obj.pk])
            if parts:
                notes.append(
                    _("You %(parts)s: another person approves this agreement.") % {"parts": ", ".join(parts)}
                )
        if obj.status == Agreement.Status.SENT and user.has_perm("revenue.record_agreement_acceptance"):
            if maker_parts(user, selectors.agreement_acceptance_makers(obj, portal=False)):
                notes.append(
                    _("You approved and sent this agreement: another person records its acceptance.")
                )
            else:
                buttons.append(
                    (
                        reverse("admin:revenue_agreement_record_acceptance", args=[obj.pk]),
                        _("Record a signed acceptance"),
                    )
                )
        if obj.status in (Agreement.Status.SENT, Agreement.Status.DECLINED) and user.has_perm(
            "revenue.change_agreement"
        ):
            label = (
                _("Withdraw to a draft")
                if obj.status == Agreement.Status.SENT
                else _("Revise (back to a draft)")
            )
            buttons.append((reverse("admin:revenue_agreement_revise", args=[obj.pk]), label))
        return buttons, notes

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/record-acceptance/",
                wrap(self.record_acceptance_view),
                name="revenue_agreement_record_acceptance",
            ),
            path("<int:pk>/revise/", wrap(self.revise_view), name="revenue_agreement_revise"),
            path("<int:pk>/signed-copy/", wrap(self.signed_copy_view), name="revenue_agreement_signed_copy"),
            *super().get_urls(),
        ]

    def record_acceptance_view(self, request, pk):
        agreement = get_object_or_404(Agreement, pk=pk)
        require_permission(request, "revenue.record_agreement_acceptance", _("Recording a signed acceptance"))
        form = SignedAcceptanceForm(request.POST or None, request.FILES or None)
        return form_page(
            self,
            request,
            form=form,
            obj=agreement,
            title=_("Record a signed acceptance"),
            submit_label=_("Record the acceptance"),
            intro=_(
                "The partner signed these terms on paper: %(terms)s. Attach the signed copy; the "
                "agreement then comes into force. The checker who sent it does not record it."
            )
            % {"terms": terms_in_words(agreement.model, agreement.terms, agreement.currency)},
            apply=lambda data: (
                services.agreement_acceptance_record(agreement=agreement, actor=request.user, **data)
                and _("%(agreement)s: acceptance recorded, now active.") % {"agreement": agreement}
            ),
        )

    def revise_view(self, request, pk):
        agreement = get_object_or_404(Agreement, pk=pk)
        require_permission(request, "revenue.change_agreement", _("Taking an agreement back to a draft"))
        return form_page(
            self,
            request,
            form=ReviseForm(request.POST or None),
            obj=agreement,
            title=_("Back to a draft"),
            submit_label=_("Back to a draft"),
            intro=_("The partner can no longer accept it; it is approved and sent again like any draft."),
            apply=lambda data: (
                services.agreement_revise(agreement=agreement, actor=request.user, **data)
                and _("%(agreement)s: back to a draft.") % {"agreement": agreement}
            ),
        )

    def signed_copy_view(self, request, pk):
        if not self.has_view_permission(request):
            raise permission_refusal("revenue.view_agreement", _("Downloading a signed copy"))
        agreement = get_object_or_404(Agreement, pk=pk)
        if not agreement.signed_copy:
            raise Http404
        response = FileResponse(
            agreement.signed_copy.open("rb"),
            as_attachment=True,
            filename=agreement.signed_copy.name.rsplit("/", 1)[-1],
            content_type=agreement.signed_copy_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

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
            success=lambda a: (
                _("%(agreement)s: approved and sent to the partner for acceptance.") % {"agreement": a}
            ),
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
