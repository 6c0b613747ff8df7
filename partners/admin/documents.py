"""Staff admin of KYB documents: upload (through the service), verify, reject, download."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import (
    HistoryAdmin,
    ServiceAddAdminMixin,
    ServiceAddForm,
    action_with_reason,
    permission_refusal,
    run_per_object,
)

from .. import services
from ..models import PartnerDocument
from ..selectors import business_today
from ..views import document_file_response


class DocumentUploadForm(ServiceAddForm):
    """The add form: the service checks size and content; errors land on their field."""

    class Meta:
        model = PartnerDocument
        fields = ("partner", "document_type", "file", "expires_on")

    def run_service(self, cleaned: dict) -> PartnerDocument:
        return services.document_upload(
            partner=cleaned["partner"],
            actor=self.actor,
            document_type=cleaned["document_type"],
            upload=cleaned["file"],
            expires_on=cleaned.get("expires_on"),
        )


class ExpiryFilter(admin.SimpleListFilter):
    title = gettext_lazy("expiry")
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return (
            ("soon", _("Expires within the warning window")),
            ("flagged", _("Flagged as expiring")),
            ("past", _("Past its expiry date")),
        )

    def queryset(self, request, queryset):
        today = business_today()
        if self.value() == "soon":
            window = today + timedelta(days=settings.PARTNER_DOCUMENT_EXPIRY_WARNING_DAYS)
            return queryset.filter(expires_on__gte=today, expires_on__lte=window)
        if self.value() == "flagged":
            return queryset.filter(expiry_flagged_at__isnull=False)
        if self.value() == "past":
            return queryset.filter(expires_on__lt=today)
        return queryset


@admin.register(PartnerDocument)
class PartnerDocumentAdmin(ServiceAddAdminMixin, HistoryAdmin):
    add_form = DocumentUploadForm
    list_display = (
        "partner",
        "document_type",
        "status",
        "expires_on",
        "expiry_flagged_at",
        "verified_by",
        "uploaded_at",
        "download_link",
    )
    list_select_related = ("partner", "verified_by")
    list_filter = ("status", "document_type", ExpiryFilter, "partner__industry", "partner__status")
    search_fields = ("partner__display_name", "partner__slug", "original_name")
    date_hierarchy = "uploaded_at"
    raw_id_fields = ("partner",)
    readonly_fields = (
        "partner",
        "document_type",
        "download_link",
        "original_name",
        "content_type",
        "size",
        "expires_on",
        "status",
        "status_reason",
        "uploaded_by",
        "uploaded_at",
        "verified_by",
        "verified_at",
        "expiry_flagged_at",
    )
    actions = ["verify", "reject"]

    def has_change_permission(self, request, obj=None):
        return False  # a document is never edited: upload a new one, verify or reject

    def has_delete_permission(self, request, obj=None):
        return False  # kept as evidence of the review

    def has_verify_permission(self, request):
        return request.user.has_perm("partners.verify_partnerdocument")

    def get_urls(self):
        return [
            path(
                "<int:document_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="partners_partnerdocument_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, document_id: int):
        if not self.has_view_permission(request):
            raise permission_refusal("partners.view_partnerdocument", _("Downloading a KYB document"))
        document = PartnerDocument.objects.filter(pk=document_id).first()
        if document is None:
            raise Http404
        return document_file_response(document)

    @admin.display(description=gettext_lazy("file"))
    def download_link(self, obj: PartnerDocument):
        if not obj.pk:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:partners_partnerdocument_download", args=[obj.pk]),
            _("Download"),
        )

    @admin.action(description=gettext_lazy("Verify the selected documents"), permissions=["verify"])
    def verify(self, request, queryset):
        run_per_object(
            request,
            queryset.select_related("partner"),
            lambda document: services.document_verify(document=document, actor=request.user),
            success=lambda document: _("%(document)s: verified.") % {"document": document},
        )

    @admin.action(description=gettext_lazy("Reject the selected documents"), permissions=["verify"])
    def reject(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset.select_related("partner"),
            label=_("Reject the selected documents"),
            action="reject",
            reason_required=True,
            apply=lambda document, reason: services.document_reject(
                document=document, actor=request.user, reason=reason
            ),
            success=lambda document: _("%(document)s: rejected.") % {"document": document},
        )

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(request, _("%(document)s uploaded: it now awaits verification.") % {"document": obj})
        return HttpResponseRedirect(reverse("admin:partners_partner_change", args=[obj.partner_id]))
