"""Staff admin of industries, partners and their lifecycle."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from core.admin import (
    HistoryAdmin,
    ObjectDecisionsMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    action_with_reason,
    run_per_object,
)

from .. import services
from ..models import Industry, Membership, Partner, PartnerDocument, PartnerStatusChange
from ..selectors import partner_application_gaps, partner_document_gaps, partner_review_checklist
from .resources import PartnerResource


@admin.register(Industry)
class IndustryAdmin(HistoryAdmin):
    list_display = ("name", "name_zh", "code", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "name_zh")
    prepopulated_fields = {"code": ("name",)}
    fieldsets = (
        (None, {"fields": ("code", "position", "is_active")}),
        (gettext_lazy("In English"), {"fields": ("name", "description")}),
        (gettext_lazy("In Chinese"), {"fields": ("name_zh", "description_zh")}),
    )

    def has_delete_permission(self, request, obj=None):
        return False  # partners point at industries; retire one by unticking "active"


# --------------------------------------------------------------------------------------
# Inlines (read-only: every change goes through a service)
# --------------------------------------------------------------------------------------
class PartnerDocumentInline(ReadOnlyInline):
    model = PartnerDocument
    fields = (
        "document_type",
        "original_name",
        "expires_on",
        "status",
        "verified_by",
        "verified_at",
        "uploaded_at",
    )
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner", "verified_by")


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner", "user")


class PartnerStatusChangeInline(ReadOnlyInline):
    model = PartnerStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "reason")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner", "changed_by")


# --------------------------------------------------------------------------------------
# Lifecycle actions
# --------------------------------------------------------------------------------------
def _approve_refusals(request):
    """Four eyes: the partners the user made (submitted, started the review, verified a document
    or the credit code) are not theirs to approve."""
    return lambda partners: services.partner_approve_refusals(partners=partners, actor=request.user)


# name, label, service, permission (has_<permission>_permission), reason required
LIFECYCLE_STEPS = [
    ("submit", gettext_lazy("Submit for review"), services.partner_submit, "submit", False),
    ("review_start", gettext_lazy("Start the review"), services.partner_review_start, "review", False),
    ("approve", gettext_lazy("Approve"), services.partner_approve, "review", False),
    ("reject", gettext_lazy("Reject"), services.partner_reject, "review", True),
    ("reopen", gettext_lazy("Reopen a rejected application"), services.partner_reopen, "review", False),
    ("activate", gettext_lazy("Activate (go live)"), services.partner_activate, "activate", False),
    ("suspend", gettext_lazy("Suspend"), services.partner_suspend, "suspend", True),
    ("reinstate", gettext_lazy("Reinstate"), services.partner_reinstate, "suspend", False),
    ("terminate", gettext_lazy("Terminate"), services.partner_terminate, "terminate", True),
]


# Steps some of whose records are not the user's to take, and why (by partner id).
REFUSALS = {"approve": _approve_refusals}

# Each step's move in the lifecycle (``services.ALLOWED_MOVES``): from → to.
S = Partner.Status
STEP_MOVES = {
    "submit": ((S.DRAFT,), S.SUBMITTED),
    "review_start": ((S.SUBMITTED,), S.UNDER_REVIEW),
    "approve": ((S.UNDER_REVIEW,), S.APPROVED),
    "reject": ((S.UNDER_REVIEW,), S.REJECTED),
    "reopen": ((S.REJECTED,), S.DRAFT),
    "activate": ((S.APPROVED,), S.ACTIVE),
    "suspend": ((S.ACTIVE,), S.SUSPENDED),
    "reinstate": ((S.SUSPENDED,), S.ACTIVE),
    "terminate": ((S.ACTIVE, S.SUSPENDED), S.TERMINATED),
}


def _documents_blocked(partner: Partner) -> list[str]:
    gaps = partner_document_gaps(partner=partner)
    if not gaps:
        return []
    names = ", ".join(str(PartnerDocument.DocumentType(t).label) for t in gaps)
    return [_("these documents are not verified or have expired: %(documents)s") % {"documents": names}]


def _review_blocked(partner: Partner) -> list[str]:
    checklist = partner_review_checklist(partner=partner)
    blocked = _documents_blocked(partner) if not checklist.documents_verified else []
    if not checklist.credit_code_verified:
        blocked.append(_("the credit code is not verified yet"))
    if not checklist.risk_rating_set:
        blocked.append(_("no risk rating is set"))
    if not checklist.relationship_manager_assigned:
        blocked.append(_("no relationship manager is assigned"))
    return blocked


def _application_blocked(partner: Partner) -> list[str]:
    gaps = partner_application_gaps(partner=partner)
    return [_("the application lacks: %(missing)s") % {"missing": ", ".join(gaps)}] if gaps else []


# What else must hold for a move, in words (the services check the same and refuse anyway).
STEP_PRECONDITIONS = {
    "submit": _application_blocked,
    "approve": _review_blocked,
    "activate": _documents_blocked,
    "reinstate": _documents_blocked,
}


@dataclass(frozen=True)
class PartnerMove:
    action: str  # the admin action that takes it
    label: str
    blocked: list[str]  # why it cannot be taken now; empty when it can
    four_eyes: bool = False  # blocked because the user made part of the application


def partner_moves(*, partner: Partner, user, has_permission) -> list[PartnerMove]:
    """The lifecycle moves out of the partner's status, each with the reasons it is blocked
    now: the user's role, four eyes, the review checklist, the documents. A fixed number of
    queries (at most the checklist's, the documents' and the makers')."""
    moves = []
    for name, label, _service, permission, _reason in LIFECYCLE_STEPS:
        sources, target = STEP_MOVES[name]
        if partner.status not in sources or target not in services.ALLOWED_MOVES[partner.status]:
            continue
        blocked, four_eyes = [], False
        if not has_permission(permission):
            blocked.append(_("your role does not take this decision"))
        if name == "approve":
            refusal = services.partner_approve_refusals(partners=[partner], actor=user).get(partner.pk)
            if refusal:
                blocked.append(refusal)
                four_eyes = True
        if name in STEP_PRECONDITIONS:
            blocked += STEP_PRECONDITIONS[name](partner)
        moves.append(PartnerMove(f"lifecycle_{name}", str(label), blocked, four_eyes))
    return moves


def _lifecycle_action(name, label, service, permission, reason_required):
    def action(modeladmin, request, queryset):
        return modeladmin.run_lifecycle_step(
            request,
            queryset,
            label=label,
            service=service,
            reason_required=reason_required,
            action=f"lifecycle_{name}",  # the confirmation page posts the action's real name
            refusals=REFUSALS[name](request) if name in REFUSALS else None,
        )

    action.__name__ = f"lifecycle_{name}"
    return admin.action(description=label, permissions=[permission])(action)


def _has(perm: str):
    def check(self, request):
        return request.user.has_perm(f"partners.{perm}")

    return check


# --------------------------------------------------------------------------------------
# Partners
# --------------------------------------------------------------------------------------
@admin.register(Partner)
class PartnerAdmin(ObjectDecisionsMixin, ImportExportModelAdmin, HistoryAdmin):
    resource_classes = [PartnerResource]
    formats = [CSV, XLSX]
    list_display = (
        "display_name",
        "slug",
        "industry",
        "status",
        "tier",
        "risk_rating",
        "relationship_manager",
        "credit_code",
        "updated_at",
    )
    list_select_related = ("industry", "relationship_manager")
    list_filter = (
        "status",
        "industry",
        "tier",
        "risk_rating",
        ("relationship_manager", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("display_name", "legal_name", "slug", "credit_code")
    prepopulated_fields = {"slug": ("display_name",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = (
        "status",
        "credit_code_verified_at",
        "credit_code_verified_by",
        "team_links",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("display_name", "legal_name", "slug", "credit_code", "industry", "status")}),
        (gettext_lazy("Relationship"), {"fields": ("tier", "risk_rating", "relationship_manager")}),
        (gettext_lazy("Contact"), {"fields": ("contact_name", "contact_email", "contact_phone", "website")}),
        (
            gettext_lazy("Review"),
            {
                "fields": (
                    "credit_code_verified_at",
                    "credit_code_verified_by",
                    "team_links",
                )
            },
        ),
        (gettext_lazy("Record"), {"fields": ("created_at", "updated_at")}),
    )
    inlines = (PartnerDocumentInline, MembershipInline, PartnerStatusChangeInline)
    change_form_template = "admin/partners/partner/change_form.html"
    actions = [
        *(_lifecycle_action(*step) for step in LIFECYCLE_STEPS),
        "verify_credit_code",
    ]

    has_submit_permission = _has("submit_partner")
    has_review_permission = _has("review_partner")
    has_activate_permission = _has("activate_partner")
    has_suspend_permission = _has("suspend_partner")
    has_terminate_permission = _has("terminate_partner")

    def has_delete_permission(self, request, obj=None):
        return False  # a partner is terminated, never deleted: its records stay

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Beside the review checklist: the moves possible now (buttons that start the lifecycle
        action for this partner, the reason asked on the next page as in the list) and those
        blocked, each with why."""
        partner = self.get_object(request, object_id) if request.method == "GET" else None
        if partner is not None:
            moves = partner_moves(
                partner=partner,
                user=request.user,
                has_permission=lambda permission: getattr(self, f"has_{permission}_permission")(request),
            )
            extra_context = {
                **(extra_context or {}),
                "partner_moves": moves,
                "partner_checklist": partner_review_checklist(partner=partner).items,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def has_import_permission(self, request):
        user = request.user
        return user.has_perm("partners.import_partner") and user.has_perm("partners.add_partner")

    def has_export_permission(self, request):
        return request.user.has_perm("partners.export_partner")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "relationship_manager":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_staff=True, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.partner_save(partner=obj, actor=request.user)

    @admin.display(description=gettext_lazy("Team and documents"))
    def team_links(self, obj: Partner):
        if obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}?partner={}">{}</a> · <a href="{}?partner={}">{}</a> · <a href="{}?partner__id__exact={}">{}</a>',
            reverse("admin:partners_partnerdocument_add"),
            obj.pk,
            _("Upload a document"),
            reverse("admin:partners_invitation_add"),
            obj.pk,
            _("Invite a member"),
            reverse("admin:partners_membership_changelist"),
            obj.pk,
            _("Manage the team"),
        )

    def run_lifecycle_step(
        self, request, queryset, *, label, service, reason_required, action, refusals=None
    ):
        return action_with_reason(
            self,
            request,
            queryset.order_by("display_name"),
            label=label,
            action=action,
            reason_required=reason_required,
            apply=lambda partner, reason: service(partner=partner, actor=request.user, reason=reason),
            success=lambda partner: (
                _("%(partner)s is now %(status)s.")
                % {"partner": partner, "status": partner.get_status_display().lower()}
            ),
            refusals=refusals,
        )

    @admin.action(description=gettext_lazy("Mark the credit code verified"), permissions=["review"])
    def verify_credit_code(self, request, queryset):
        run_per_object(
            request,
            queryset.order_by("display_name"),
            lambda partner: services.partner_credit_code_verify(partner=partner, actor=request.user),
            success=lambda partner: _("%(partner)s: credit code verified.") % {"partner": partner},
        )


@admin.register(PartnerStatusChange)
class PartnerStatusChangeAdmin(ReadOnlyAdmin):
    """The lifecycle log: read by everyone with access, written only by the services."""

    list_display = ("changed_at", "partner", "from_status", "to_status", "changed_by", "reason")
    list_select_related = ("partner", "changed_by")
    list_filter = ("to_status", "from_status", "changed_at")
    search_fields = ("partner__display_name", "partner__slug", "reason")
    date_hierarchy = "changed_at"
