"""Staff admin of partner teams: memberships and invitations, all changes through services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin import HistoryAdmin, ServiceAddAdminMixin, ServiceAddForm, run_per_object
from core.domain import DomainError

from .. import services
from ..models import Invitation, Membership


class MembershipAddForm(ServiceAddForm):
    class Meta:
        model = Membership
        fields = ("partner", "user", "role")

    def run_service(self, cleaned: dict) -> Membership:
        return services.membership_create(
            partner=cleaned["partner"], user=cleaned["user"], role=cleaned["role"], actor=self.actor
        )


@admin.register(Membership)
class MembershipAdmin(ServiceAddAdminMixin, HistoryAdmin):
    add_form = MembershipAddForm
    list_display = ("user", "partner", "role", "created_at")
    list_select_related = ("user", "partner")
    list_filter = ("role", "partner__status", "partner__industry")
    search_fields = ("user__email", "user__full_name", "partner__display_name", "partner__slug")
    raw_id_fields = ("partner", "user")
    fields = ("partner", "user", "role", "created_at")
    readonly_fields = ("partner", "user", "created_at")
    actions = ["make_sole_owner", "remove_members"]

    def has_transfer_permission(self, request):
        return request.user.has_perm("partners.transfer_ownership")

    def has_remove_permission(self, request):
        return request.user.has_perm("partners.delete_membership")

    def has_delete_permission(self, request, obj=None):
        # Removal goes through the "remove" action, which keeps at least one owner.
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            return
        if "role" in form.changed_data:
            new_role = obj.role
            obj.role = form.initial["role"]
            try:
                services.membership_change_role(membership=obj, role=new_role, actor=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)

    @admin.action(
        description=gettext_lazy("Transfer the ownership to the selected member"), permissions=["transfer"]
    )
    def make_sole_owner(self, request, queryset):
        def transfer(membership: Membership) -> None:
            owners = list(
                Membership.objects.filter(
                    partner_id=membership.partner_id, role=Membership.Role.OWNER
                ).exclude(pk=membership.pk)
            )
            if len(owners) != 1:
                raise DomainError(
                    _("The partner has %(count)d other owners: change their roles one by one instead.")
                    % {"count": len(owners)}
                )
            services.ownership_transfer(
                from_membership=owners[0], to_membership=membership, actor=request.user
            )

        run_per_object(
            request,
            queryset.select_related("partner", "user"),
            transfer,
            success=lambda m: _("%(user)s now owns %(partner)s.") % {"user": m.user, "partner": m.partner},
        )

    @admin.action(description=gettext_lazy("Remove the selected members"), permissions=["remove"])
    def remove_members(self, request, queryset):
        run_per_object(
            request,
            queryset.select_related("partner", "user"),
            lambda membership: services.membership_remove(membership=membership, actor=request.user),
            success=lambda m: (
                _("%(user)s removed from %(partner)s.") % {"user": m.user, "partner": m.partner}
            ),
        )


class InvitationAddForm(ServiceAddForm):
    class Meta:
        model = Invitation
        fields = ("partner", "email", "role")

    def run_service(self, cleaned: dict) -> Invitation:
        invitation, _token = services.invitation_create(
            partner=cleaned["partner"], email=cleaned["email"], role=cleaned["role"], actor=self.actor
        )
        return invitation

    def validate_unique(self):
        pass  # the service replaces an open invitation to the same address


class InvitationStateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Invitation.State.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
        return {
            Invitation.State.PENDING: lambda: queryset.filter(open_, expires_at__gt=now),
            Invitation.State.EXPIRED: lambda: queryset.filter(open_, expires_at__lte=now),
            Invitation.State.ACCEPTED: lambda: queryset.filter(accepted_at__isnull=False),
            Invitation.State.REVOKED: lambda: queryset.filter(revoked_at__isnull=False),
        }.get(self.value(), lambda: queryset)()


@admin.register(Invitation)
class InvitationAdmin(ServiceAddAdminMixin, HistoryAdmin):
    add_form = InvitationAddForm
    list_display = ("email", "partner", "role", "state_label", "invited_by", "created_at", "expires_at")
    list_select_related = ("partner", "invited_by")
    list_filter = (InvitationStateFilter, "role", "partner__status")
    search_fields = ("email", "partner__display_name", "partner__slug")
    raw_id_fields = ("partner",)
    readonly_fields = (
        "partner",
        "email",
        "role",
        "state_label",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    fields = readonly_fields
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("partners.change_invitation")

    @admin.display(description=gettext_lazy("state"))
    def state_label(self, obj: Invitation) -> str:
        return obj.get_state_display()

    @admin.action(description=gettext_lazy("Revoke the selected invitations"), permissions=["revoke"])
    def revoke(self, request, queryset):
        run_per_object(
            request,
            queryset.select_related("partner"),
            lambda invitation: services.invitation_revoke(invitation=invitation, actor=request.user),
            success=lambda i: _("The invitation of %(email)s is revoked.") % {"email": i.email},
        )

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": obj.email})
        return super().response_add(request, obj, post_url_continue)
