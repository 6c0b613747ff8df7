"""VAT invoices in the admin: the queue to verify (filter "Awaiting verification"), the file
as a private download, verify or reject with a reason; an invoice entered for a partner."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import (
    ReadOnlyInline,
    ServiceAddAdminMixin,
    ServiceAddForm,
    permission_refusal,
)
from partners.views import document_file_response

from .. import services
from ..models import VatInvoice, VatInvoiceChange
from ..selectors import invoice_waived
from ..services.invoices import REVIEW_PERMISSION
from .decisions import decide_selected


class VatInvoiceAddForm(ServiceAddForm):
    """Staff enter a partner's invoice (they may then not verify it)."""

    class Meta:
        model = VatInvoice
        fields = (
            "statement",
            "invoice_code",
            "invoice_number",
            "issued_on",
            "amount_before_tax",
            "tax_rate",
            "tax_amount",
            "total_amount",
            "file",
        )

    def run_service(self, cleaned: dict) -> VatInvoice:
        return services.invoice_record(
            statement=cleaned["statement"],
            actor=self.actor,
            invoice_code=cleaned.get("invoice_code", ""),
            invoice_number=cleaned["invoice_number"],
            issued_on=cleaned["issued_on"],
            amount_before_tax=cleaned["amount_before_tax"],
            tax_rate=cleaned["tax_rate"],
            tax_amount=cleaned["tax_amount"],
            total_amount=cleaned["total_amount"],
            upload=cleaned["file"],
        )


class ChangeInline(ReadOnlyInline):
    model = VatInvoiceChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields


@admin.register(VatInvoice)
class VatInvoiceAdmin(ServiceAddAdminMixin, admin.ModelAdmin):
    add_form = VatInvoiceAddForm
    list_display = (
        "__str__",
        "partner",
        "statement",
        "total_amount",
        "status",
        "waived",
        "submitted_by",
        "reviewed_by",
        "download_link",
    )
    list_select_related = ("partner", "statement", "submitted_by", "reviewed_by")
    list_filter = ("status",)
    search_fields = ("partner__display_name", "partner__slug", "invoice_code", "invoice_number")
    raw_id_fields = ("statement",)
    inlines = (ChangeInline,)
    actions = ["verify", "reject"]
    readonly_fields = (
        "partner",
        "statement",
        "invoice_code",
        "invoice_number",
        "issued_on",
        "amount_before_tax",
        "tax_rate",
        "tax_amount",
        "total_amount",
        "download_link",
        "original_name",
        "content_type",
        "file_sha256",
        "status",
        "waived",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "rejection_reason",
    )

    def get_exclude(self, request, obj=None):
        # Shown as the private download link, never as the storage's public URL.
        return ("file",) if obj is not None else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()  # the trail starts once it exists

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_verify_permission(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)

    def get_urls(self):
        return [
            path(
                "<int:invoice_id>/file/",
                self.admin_site.admin_view(self.download_view),
                name="payouts_vatinvoice_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, invoice_id: int):
        """The invoice file, staff only (the admin's login and two-factor rule), as an
        attachment that is never sniffed into another type nor cached."""
        if not self.has_view_permission(request):
            raise permission_refusal("payouts.view_vatinvoice", _("Downloading a VAT invoice"))
        invoice = VatInvoice.objects.filter(pk=invoice_id).first()
        if invoice is None:
            raise Http404
        return document_file_response(invoice)

    @admin.display(description=gettext_lazy("file"))
    def download_link(self, obj: VatInvoice):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:payouts_vatinvoice_download", args=[obj.pk]), _("Download")
        )

    @admin.display(description=gettext_lazy("waived"), boolean=True)
    def waived(self, obj: VatInvoice) -> bool:
        return invoice_waived(partner=obj.partner)

    @admin.action(description=gettext_lazy("Verify the selected invoices"), permissions=["verify"])
    def verify(self, request, queryset):
        return decide_selected(
            self,
            request,
            queryset,
            label=_("Verify the selected invoices"),
            action="verify",
            reason_required=False,
            apply=lambda invoice, reason: services.invoice_verify(
                invoice=invoice, actor=request.user, reason=reason
            ),
            makers_of=services.invoice_makers,
        )

    @admin.action(description=gettext_lazy("Reject the selected invoices"), permissions=["verify"])
    def reject(self, request, queryset):
        return decide_selected(
            self,
            request,
            queryset,
            label=_("Reject the selected invoices"),
            action="reject",
            reason_required=True,
            apply=lambda invoice, reason: services.invoice_reject(
                invoice=invoice, actor=request.user, reason=reason
            ),
            makers_of=services.invoice_makers,
        )
