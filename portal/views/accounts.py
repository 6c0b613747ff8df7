"""Staff account pages: the admin's password forms send to allauth's, and the two-factor
enrolment link (``portal.enrolment``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.cache import never_cache


@never_cache
def admin_login(request: HttpRequest) -> HttpResponseRedirect:
    """``/admin/login/``: the portal's login (allauth, with its limits and the second factor),
    keeping where the admin was going. allauth checks that ``next`` stays on this site."""
    target = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


@never_cache
def admin_password_change(request: HttpRequest) -> HttpResponseRedirect:
    """``/admin/password_change/``: allauth's password page (rate-limited per user)."""
    return HttpResponseRedirect(reverse("account_change_password"))
