"""Staff account pages: the admin's password forms send to allauth's, and the two-factor
enrolment link (``portal.enrolment``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.domain import DomainError

from .. import enrolment


@never_cache
def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """``/admin/login/``: the portal's login (allauth, with its limits and the second factor),
    keeping where the admin was going. allauth checks that ``next`` stays on this site."""
    user = request.user
    if user.is_authenticated and not (user.is_active and user.is_staff):
        # Logged in but not staff: the login would send back to the admin, and round again.
        raise PermissionDenied(_("The staff console is for bank staff only."))
    target = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


@never_cache
def admin_password_change(request: HttpRequest) -> HttpResponseRedirect:
    """``/admin/password_change/``: allauth's password page (rate-limited per user)."""
    return HttpResponseRedirect(reverse("account_change_password"))


@never_cache
@require_http_methods(["GET", "POST"])
def staff_enrolment(request: HttpRequest, token: str) -> HttpResponse:
    """The enrolment link: log in (allauth, password and limits), confirm, and the session may
    set up an authenticator app. A GET never uses the link (mail scanners open links)."""
    try:
        enrolment.staff_enrolment_user_id(token=token)
    except DomainError as exc:
        return _enrolment_refused(request, exc)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("account_login"))
    if request.method == "POST":
        try:
            enrolment.staff_enrolment_redeem(request=request, token=token)
        except DomainError as exc:
            return _enrolment_refused(request, exc)
        return redirect("mfa_activate_totp")
    return render(request, "account/staff_enrolment.html", {"email": request.user.email})


def _enrolment_refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(
        request, "account/staff_enrolment_invalid.html", {"message": exc.message}, status=exc.status_code
    )
