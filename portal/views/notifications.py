"""The member's notification centre: the list (filters, mark read, open the object) and the
preferences (per kind: the portal only, or also by e-mail, immediately or in a daily digest).
Marking one's own notifications read and choosing one's e-mail are the member's own business,
so every role may do it, also while the partner is suspended."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partners import services as partner_services
from partners.models import Notification
from partners.notification_pages import back_to, notification_list_context, preferences_page
from partners.notifications import KINDS

from ..access import PartnerAccess, partner_page


def member_kinds(access: PartnerAccess) -> list:
    return [k for k in KINDS.values() if access.role in k.roles]


@partner_page("notifications", onboarding=True, personal=True)
def notification_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    context, status = notification_list_context(
        request, user=request.user, partner=access.partner, kinds=member_kinds(access)
    )
    return render(request, "portal/notifications/list.html", {"access": access, **context}, status=status)


@require_POST
@partner_page("notifications", onboarding=True, personal=True)
def notification_read(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    try:
        notification = partner_services.notification_mark_read(
            user=request.user, partner=access.partner, notification_id=pk
        )
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    return back_to(request, notification, "portal:notifications")


@require_POST
@partner_page("notifications", onboarding=True, personal=True)
def notification_read_all(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    count = partner_services.notification_mark_all_read(user=request.user, partner=access.partner)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("portal:notifications")


@partner_page("notifications", onboarding=True, personal=True)
def notification_preferences_edit(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    return preferences_page(
        request,
        kinds=member_kinds(access),
        template="portal/notifications/preferences.html",
        context={"access": access},
        done="portal:notification-preferences",
    )
