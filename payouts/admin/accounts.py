"""Payee accounts in the admin: entered for a partner (through the service), verified or
rejected under four eyes, the number masked unless the viewer holds
``payouts.view_payee_account_number``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters

from core.admin import ReadOnlyInline, ServiceAddAdminMixin, ServiceAddForm

from .. import services
from ..models import PayeeAccount, PayeeAccountChange
from ..services.accounts import NUMBER_PERMISSION, VERIFY_PERMISSION
from .decisions import decide_selected


class PayeeAccountAddForm(ServiceAddForm):
    """Staff enter an account for a partner; they may then not verify it."""

    account_number = forms.CharField(label=gettext_lazy("Account number"), max_length=40)

    class Meta:
        model = PayeeAccount
        fields = (
            "partner",
            "account_name",
            "bank_name",
            "branch_name",
            "cnaps_code",
            "account_number",
            "name_mismatch_reason",
        )

    def run_service(self, cleaned: dict) -> PayeeAccount:
        return services.payee_account_submit(
            partner=cleaned["partner"],
            actor=self.actor,
            account_name=cleaned["account_name"],
            bank_name=cleaned["bank_name"],
            branch_name=cleaned["branch_name"],
            cnaps_code=cleaned["cnaps_code"],
            account_number=cleaned["account_number"],
            name_mismatch_reason=cleaned.get("name_mismatch_reason", ""),
        )


class ChangeInline(ReadOnlyInline):
    model = PayeeAccountChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields


@admin.register(PayeeAccount)
class PayeeAccountAdmin(ServiceAddAdminMixin, admin.ModelAdmin):
    add_form = PayeeAccountAddForm
    list_display = (
        "partner",
        "account_name",
        "bank_name",
        "masked_number",
        "status",
        "name_differs",
        "submitted_by",
        "verified_by",
        "effective_at",
    )
    list_select_related = ("partner", "submitted_by", "verified_by")
    list_filter = ("status",)
    search_fields = ("partner__display_name", "partner__slug", "account_name", "account_number_last4")
    raw_id_fields = ("partner",)
    inlines = (ChangeInline,)
    actions = ["verify", "reject"]
    BASE_READONLY = (
        "partner",
        "account_name",
        "bank_name",
        "branch_name",
        "cnaps_code",
        "masked_number",
        "currency",
        "status",
        "name_mismatch_reason",
        "name_difference_approval",
        "submitted_by",
        "submitted_at",
        "verified_by",
        "verified_at",
        "effective_at",
        "rejection_reason",
    )

    @method_decorator(sensitive_post_parameters("account_number"))
    def add_view(self, request, form_url="", extra_context=None):
        return super().add_view(request, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if request.user.has_perm(NUMBER_PERMISSION):
            return (*self.BASE_READONLY, "full_number")
        return self.BASE_READONLY

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_form._meta.fields
        return self.get_readonly_fields(request, obj)

    @admin.display(description=gettext_lazy("account number"))
    def masked_number(self, obj: PayeeAccount) -> str:
        return obj.masked_number

    @admin.display(description=gettext_lazy("account number in full"))
    def full_number(self, obj: PayeeAccount) -> str:
        return services.payee_account_number(obj)

    @admin.display(description=gettext_lazy("name differs"), boolean=True)
    def name_differs(self, obj: PayeeAccount) -> bool:
        return obj.name_differs

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()  # the trail starts once it exists

    def has_change_permission(self, request, obj=None):
        return False  # never edited: the partner submits a new account

    def has_delete_permission(self, request, obj=None):
        return False  # kept as evidence of where money was sent

    def has_verify_permission(self, request):
        return request.user.has_perm(VERIFY_PERMISSION)

    @admin.action(description=gettext_lazy("Verify the selected accounts"), permissions=["verify"])
    def verify(self, request, queryset):
        return decide_selected(
            self,
            request,
            queryset,
            label=_("Verify the selected accounts (a reason is needed when the name differs)"),
            action="verify",
            reason_required=False,
            apply=lambda account, reason: services.payee_account_verify(
                account=account, actor=request.user, name_difference_approval=reason
            ),
            makers_of=services.payee_account_makers,
        )

    @admin.action(description=gettext_lazy("Reject the selected accounts"), permissions=["verify"])
    def reject(self, request, queryset):
        return decide_selected(
            self,
            request,
            queryset,
            label=_("Reject the selected accounts"),
            action="reject",
            reason_required=True,
            apply=lambda account, reason: services.payee_account_reject(
                account=account, actor=request.user, reason=reason
            ),
            makers_of=services.payee_account_makers,
        )
