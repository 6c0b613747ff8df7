"""Middleware of the portal shell: staff reach the admin and the console only with a second
factor, and set one up only through their enrolment link (``portal.enrolment``)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from .enrolment import GRANT_SESSION_KEY, staff_enrolment_granted, staff_has_authenticator


def staff_mfa_satisfied(request: HttpRequest) -> bool:
    """The staff user has an authenticator app and this session passed its code at login."""
    user = request.user
    if not staff_has_authenticator(user=user):
        return False
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def _enrolment_required(request: HttpRequest) -> HttpResponse:
    return render(request, "account/staff_enrolment_required.html", status=403)


class StaffMFARequiredMiddleware:
    """Staff reach ``/admin/`` and ``/staff/`` only after logging in with a second factor.

    - not logged in: the portal's login (allauth), which asks for the authenticator code;
    - staff without an authenticator: a page saying to use the enrolment link mailed to them;
    - staff with one whose session did not pass it (logged in some other way): logged in again.
    ``STAFF_MFA_REQUIRED`` switches this rule off (tests of other capabilities' admin pages).

    Always, whatever that setting: staff without an authenticator open the setup page (which
    shows a TOTP secret) only in a session that redeemed their enrolment link, and staff never
    change their e-mail addresses themselves (the enrolment link and resets go there).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        # The staff console (/staff/) shows the same data and takes the same decisions.
        self.prefixes = ("/admin/", "/staff/")
        self.guarded: dict[str, str] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        enrolling = False
        if user.is_authenticated and user.is_staff:
            response = self._guard_account_pages(request)
            if response is not None:
                return response
            enrolling = request.method == "POST" and GRANT_SESSION_KEY in request.session
        if getattr(settings, "STAFF_MFA_REQUIRED", True) and request.path.startswith(self.prefixes):
            response = self._check(request)
            if response is not None:
                return response
        response = self.get_response(request)
        if enrolling and request.path == reverse("mfa_activate_totp"):
            self._enrolled(request)
        return response

    def _enrolled(self, request: HttpRequest) -> None:
        """The session that redeemed the link has just proved the new app with a code: that
        is a second factor (password, mailbox and app), so it counts as logging in with it."""
        if staff_has_authenticator(user=request.user):
            request.session.pop(GRANT_SESSION_KEY, None)
            record_authentication(request, request.user, "mfa", type="totp", enrolled=True)

    def _guard_account_pages(self, request: HttpRequest) -> HttpResponse | None:
        if not self.guarded:
            self.guarded = {
                reverse("mfa_activate_totp"): "activate",
                reverse("account_email"): "email",
            }
        page = self.guarded.get(request.path)
        if page == "activate":
            if staff_has_authenticator(user=request.user) or staff_enrolment_granted(request):
                return None
            return _enrolment_required(request)
        if page == "email" and request.method == "POST":
            messages.error(
                request, _("Staff e-mail addresses are changed by an administrator in the staff console.")
            )
            return redirect("account_email")
        return None

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")
        if not (user.is_active and user.is_staff) or staff_mfa_satisfied(request):
            return None
        if staff_has_authenticator(user=user):
            messages.warning(
                request, _("Log in again with your authenticator code to use the staff console.")
            )
            return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}")
        return _enrolment_required(request)
