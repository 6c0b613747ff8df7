"""The partner's team: invite by e-mail with a role, change roles, remove, transfer the
ownership (through the partners services, which enforce who may do what)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.domain import DomainError
from partners import services as partner_services
from partners.selectors import partner_members

from ..access import PartnerAccess, partner_page
from ..forms import InviteForm, RoleForm, submit
from ..selectors import partner_open_invitations


def _member(access: PartnerAccess, pk: int):
    return get_object_or_404(partner_members(partner=access.partner), pk=pk)


@partner_page("team")
def team(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    form = InviteForm(request.POST or None)

    def invite(data):
        return partner_services.invitation_create(
            partner=access.partner, actor=request.user, email=data["email"], role=data["role"]
        )

    if submit(request, form, invite):
        messages.success(
            request, _("The invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]}
        )
        return redirect("portal:team")
    members = partner_members(partner=access.partner)
    return render(
        request,
        "portal/team.html",
        {
            "access": access,
            "members": members,
            "invitations": partner_open_invitations(partner=access.partner)
            if access.can_change("team")
            else [],
            "form": form,
            "role_choices": RoleForm.base_fields["role"].choices,
        },
    )


def _run(request: HttpRequest, call, success: str) -> HttpResponse:
    try:
        call()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("portal:team")


@require_POST
@partner_page("team", change=True)
def member_role(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    membership = _member(access, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return redirect("portal:team")
    return _run(
        request,
        lambda: partner_services.membership_change_role(
            membership=membership, role=form.cleaned_data["role"], actor=request.user
        ),
        _("The role of %(email)s was changed.") % {"email": membership.user.email},
    )


@require_POST
@partner_page("team", change=True)
def member_remove(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    membership = _member(access, pk)
    return _run(
        request,
        lambda: partner_services.membership_remove(membership=membership, actor=request.user),
        _("%(email)s was removed from the team.") % {"email": membership.user.email},
    )


@require_POST
@partner_page("team", change=True)
def ownership_transfer(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    to_membership = _member(access, pk)
    return _run(
        request,
        lambda: partner_services.ownership_transfer(
            from_membership=access.membership, to_membership=to_membership, actor=request.user
        ),
        _("%(email)s is now an owner; you are an admin.") % {"email": to_membership.user.email},
    )


@require_POST
@partner_page("team", change=True)
def invitation_revoke(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    invitation = get_object_or_404(partner_open_invitations(partner=access.partner), pk=pk)
    return _run(
        request,
        lambda: partner_services.invitation_revoke(invitation=invitation, actor=request.user),
        _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email},
    )
