"""The notification centre's pages, shared by the partner portal and the staff console: the
list with its filters, the way back after marking one read, and the preferences form. Each
caller decides whose notifications (a member in a partner, or staff) and which kinds."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from core.domain import DomainError

from . import services
from .forms import NotificationFilterForm, NotificationPreferencesForm
from .models import Notification
from .notifications import GROUPS, Notice
from .selectors import notification_preferences, notifications_for_member

LIST_CAP = 100  # the newest; older ones stay readable by filtering


def notification_list_context(request: HttpRequest, *, user, partner, kinds) -> tuple[dict, int]:
    """The list page's context (shared with the staff centre) and its status (400 on bad filters)."""
    groups = [(code, GROUPS[code].label) for code in GROUPS if any(k.group == code for k in kinds)]
    form = NotificationFilterForm(request.GET or None, groups=groups)
    if request.GET and not form.is_valid():
        return {"form": form, "notices": [], "groups": groups, "cap": LIST_CAP}, 400
    data = form.cleaned_data if request.GET else {}
    group = data.get("group") or ""
    found = notifications_for_member(
        user=user,
        partner=partner,
        kinds=[k.code for k in kinds if k.group == group] if group else None,
        unread=bool(data.get("unread")),
    )
    notices = [Notice(n) for n in found[:LIST_CAP]]
    return {"form": form, "notices": notices, "groups": groups, "cap": LIST_CAP}, 200


def back_to(request: HttpRequest, notification: Notification, fallback: str) -> HttpResponse:
    """After marking read: the object when asked to open it, else the list as it was."""
    target = notification.link if request.POST.get("open") else request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def preferences_page(request: HttpRequest, *, kinds, template: str, context: dict, done: str) -> HttpResponse:
    """The preferences form for ``kinds`` (shared with the staff centre)."""
    current = notification_preferences(user=request.user, kinds=[k.code for k in kinds])
    form = NotificationPreferencesForm(request.POST or None, kinds=kinds, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_set(
                user=request.user, choices={kind: how for kind, how in form.cleaned_data.items() if how}
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your notification preferences were saved."))
            return redirect(done)
    status = 400 if request.method == "POST" else 200
    rows = [(GROUPS[k.group].label, form[k.code]) for k in kinds]
    return render(request, template, {**context, "form": form, "rows": rows}, status=status)
