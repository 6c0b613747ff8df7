"""Middleware of the portal shell: staff must use two-factor authentication to reach the admin."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _


def staff_mfa_satisfied(request: HttpRequest) -> bool:
    """The staff user has an authenticator app and this session passed its code at login."""
    from allauth.account.authentication import get_authentication_records
    from allauth.mfa.models import Authenticator

    user = request.user
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return False
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


class StaffMFARequiredMiddleware:
    """Staff reach ``/admin/`` only after logging in with a second factor.

    - not logged in: the admin's own password-only login is skipped for the portal's login,
      which asks for the authenticator code;
    - staff without an authenticator: sent to set one up;
    - staff with one whose session did not pass it (logged in some other way): logged in again.
    ``STAFF_MFA_REQUIRED`` switches the rule off (tests of other capabilities' admin pages).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        # The staff console (/staff/) shows the same data and takes the same decisions.
        self.prefixes = ("/admin/", "/staff/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if getattr(settings, "STAFF_MFA_REQUIRED", True) and request.path.startswith(self.prefixes):
            response = self._check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")
        if not (user.is_active and user.is_staff) or staff_mfa_satisfied(request):
            return None
        from allauth.mfa.models import Authenticator

        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            messages.warning(
                request, _("Log in again with your authenticator code to use the staff console.")
            )
            return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}")
        messages.warning(request, _("Staff must set up an authenticator app before using the staff console."))
        return redirect("mfa_activate_totp")
