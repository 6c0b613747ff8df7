from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import HistoryAdmin

from .enrolment import staff_enrolment_mail, staff_has_authenticator, staff_mfa_reset
from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin, HistoryAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    actions = ("send_enrolment_link", "reset_two_factor")

    def save_model(self, request, obj, form, change):
        """A new staff account, or an account just made staff, gets its enrolment link."""
        became_staff = obj.is_staff and (not change or "is_staff" in form.changed_data)
        super().save_model(request, obj, form, change)
        if became_staff and obj.is_active and not staff_has_authenticator(user=obj):
            staff_enrolment_mail(user=obj, issued_by=request.user)
            self.message_user(
                request,
                _("A two-factor enrolment link was mailed to %(email)s.") % {"email": obj.email},
                messages.SUCCESS,
            )

    @admin.action(description=_("Send a two-factor enrolment link"), permissions=["change"])
    def send_enrolment_link(self, request, queryset):
        sent = skipped = 0
        for user in queryset:
            if not user.is_staff or not user.is_active or staff_has_authenticator(user=user):
                skipped += 1
                continue
            staff_enrolment_mail(user=user, issued_by=request.user)
            sent += 1
        self._report(request, sent, skipped)

    @admin.action(
        description=_("Reset two-factor authentication and send an enrolment link"), permissions=["change"]
    )
    def reset_two_factor(self, request, queryset):
        sent = skipped = 0
        for user in queryset:
            if not user.is_staff or not user.is_active:
                skipped += 1
                continue
            staff_mfa_reset(user=user, actor=request.user)
            sent += 1
        self._report(request, sent, skipped)

    def _report(self, request, sent: int, skipped: int) -> None:
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d enrolment link was mailed.", "%(count)d enrolment links were mailed.", sent
                )
                % {"count": sent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d account was skipped: not active staff, or already has an authenticator app "
                    "(reset it instead).",
                    "%(count)d accounts were skipped: not active staff, or already have an authenticator app "
                    "(reset it instead).",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
