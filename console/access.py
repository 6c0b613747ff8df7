"""Who may open the console: active staff only. Anonymous users go to the portal login (which
asks staff for their second factor, see ``portal.middleware``); partner users (signed in, not
staff) get 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _


def is_console_user(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("account_login"))
        if not is_console_user(request.user):
            raise PermissionDenied(_("The staff console is for bank staff only."))
        return view(request, *args, **kwargs)

    return wrapper
