"""Staff admin of the open API: keys (issued through the service, the key shown once, never
the hash), their change rows, usage, the access log and webhooks."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceAddAdminMixin,
    ServiceAddForm,
    action_with_reason,
    run_per_object,
)
from core.show_once import show_once_keep, show_once_take

from .. import services
from ..models import (
    ApiAccessLog,
    ApiUsage,
    PartnerAPIKey,
    PartnerAPIKeyEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from ..tasks import webhook_deliver


class KeyIssueForm(ServiceAddForm):
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"),
        choices=PartnerAPIKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    sandbox = forms.BooleanField(
        label=gettext_lazy("sandbox"),
        required=False,
        help_text=gettext_lazy(
            "A test key (fnk_sbx_…): sandbox data only, from the submitted application on."
        ),
    )

    class Meta:
        model = PartnerAPIKey
        fields = ("partner", "name", "channel", "scopes", "expiry_date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expiry_date"].required = False
        self.fields["expiry_date"].help_text = _("Leave empty for the default lifetime.")

    def run_service(self, cleaned: dict) -> PartnerAPIKey:
        issued = services.api_key_issue(
            partner=cleaned["partner"],
            actor=self.actor,
            name=cleaned["name"],
            scopes=cleaned["scopes"],
            channel=cleaned["channel"],
            expires_at=cleaned.get("expiry_date"),
            reason="issued in the staff admin",
            sandbox=cleaned.get("sandbox", False),
        )
        self.issued = issued
        return issued.api_key


class KeyEventInline(ReadOnlyInline):
    model = PartnerAPIKeyEvent
    fields = ("action", "actor", "at", "reason")
    readonly_fields = fields


@admin.register(PartnerAPIKey)
class PartnerAPIKeyAdmin(ServiceAddAdminMixin, admin.ModelAdmin):
    add_form = KeyIssueForm
    list_display = (
        "prefix",
        "name",
        "partner",
        "sandbox",
        "channel",
        "scopes",
        "expiry_date",
        "revoked",
        "last_used_at",
    )
    list_select_related = ("partner",)
    list_filter = ("sandbox", "revoked", "channel", "partner__status")
    search_fields = ("prefix", "name", "partner__slug", "partner__display_name")
    raw_id_fields = ("partner",)
    # Never the hash, never the id (which embeds the hash).
    fields = (
        "prefix",
        "name",
        "partner",
        "sandbox",
        "channel",
        "scopes",
        "created",
        "created_by",
        "expiry_date",
        "rotated_from",
        "rotated_at",
        "revoked",
        "revoked_at",
        "last_used_at",
    )
    readonly_fields = fields
    inlines = [KeyEventInline]
    actions = ["rotate", "revoke"]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_fields(self, request, obj=None):
        # The add form's ``sandbox`` is a form field (the model's flag is not editable).
        fields = super().get_fields(request, obj)
        return (*fields, "sandbox") if obj is None else fields

    def has_change_permission(self, request, obj=None):
        return False  # keys change only through issue, rotate and revoke

    def has_delete_permission(self, request, obj=None):
        return False  # kept for the audit trail; revoke instead

    def has_revoke_permission(self, request):
        return request.user.has_perm("partners.revoke_partnerapikey")

    @admin.action(description=gettext_lazy("Rotate the selected keys"), permissions=["revoke"])
    def rotate(self, request, queryset):
        issued = []

        def apply(api_key):
            issued.append(services.api_key_rotate(api_key=api_key, actor=request.user))

        run_per_object(
            request,
            queryset.select_related("partner"),
            apply,
            success=lambda api_key: _("%(key)s: rotated.") % {"key": api_key},
        )
        return self._show_issued(request, issued) if issued else None

    @admin.action(description=gettext_lazy("Revoke the selected keys"), permissions=["revoke"])
    def revoke(self, request, queryset):
        return action_with_reason(
            self,
            request,
            queryset.select_related("partner"),
            label=_("Revoke the selected keys"),
            action="revoke",
            reason_required=True,
            apply=lambda api_key, reason: services.api_key_revoke(
                api_key=api_key, actor=request.user, reason=reason
            ),
            success=lambda api_key: _("%(key)s: revoked.") % {"key": api_key},
        )

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_issued(request, [request._issued])

    def save_form(self, request, form, change):
        if not change:
            request._issued = form.issued
        return super().save_form(request, form, change)

    # -- the new keys, shown once ----------------------------------------------------------
    def get_urls(self):
        issued = self.admin_site.admin_view(self.issued_view)
        return [
            path("issued/<str:token>/", issued, name="partners_partnerapikey_issued"),
            *super().get_urls(),
        ]

    def _show_issued(self, request, issued) -> HttpResponseRedirect:
        """Post, redirect, get: the new keys wait, encrypted in the session, for one display."""
        payload = {"keys": [[one.api_key.pk, one.key] for one in issued]}
        token = show_once_keep(request, kind="admin_api_keys", payload=payload)
        return HttpResponseRedirect(reverse("admin:partners_partnerapikey_issued", args=[token]))

    def issued_view(self, request, token: str):
        kept = show_once_take(request, kind="admin_api_keys", token=token)
        if kept is None:
            messages.info(
                request, _("New keys are shown only once, and these were. Rotate a key that was not copied.")
            )
            return HttpResponseRedirect(reverse("admin:partners_partnerapikey_changelist"))
        secrets = dict(kept["keys"])
        keys = PartnerAPIKey.objects.filter(pk__in=secrets).select_related("partner").order_by("prefix")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("New keys: copy them now"),
            "issued": [(key, secrets[key.pk]) for key in keys],
        }
        response = TemplateResponse(request, "admin/partners/keys_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response


@admin.register(ApiUsage)
class ApiUsageAdmin(ReadOnlyAdmin):
    list_display = ("day", "partner", "key", "key__sandbox", "endpoint", "calls", "errors")
    list_select_related = ("partner", "key")
    # ``key__sandbox``: the staff dashboard links to the live usage (sandbox keys' calls apart).
    list_filter = ("day", "key__sandbox")
    search_fields = ("partner__slug", "key__prefix", "endpoint")
    date_hierarchy = "day"


@admin.register(ApiAccessLog)
class ApiAccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "key_prefix", "method", "path", "status", "latency_ms", "client_ip")
    list_filter = ("status", "method")
    search_fields = ("key_prefix", "route")
    date_hierarchy = "at"
    show_full_result_count = False  # a large table: no COUNT(*) per page


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "partner", "sandbox", "events", "is_active", "secret_hint", "created_at")
    list_select_related = ("partner",)
    list_filter = ("sandbox", "is_active")
    search_fields = ("url", "partner__slug")
    fields = (
        "partner",
        "url",
        "events",
        "description",
        "sandbox",
        "is_active",
        "secret_hint",
        "previous_secret_until",
        "created_at",
    )
    readonly_fields = fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_select_related = ("endpoint",)
    list_filter = ("status", "event")
    search_fields = ("endpoint__url", "endpoint__partner__slug", "event_id")
    actions = ["retry_now"]

    def has_retry_permission(self, request):
        # Sending is a change: staff who manage webhooks do it, auditors only read.
        return request.user.has_perm("partners.change_webhookendpoint")

    @admin.action(description=gettext_lazy("Send the selected pending deliveries now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        ids = list(queryset.filter(status=WebhookDelivery.Status.PENDING).values_list("pk", flat=True))
        for delivery_id in ids:
            webhook_deliver.delay(delivery_id)
        messages.success(request, _("%(count)d deliveries queued.") % {"count": len(ids)})
