"""The one password door: allauth's login, with django-axes counting its failures.

Every password check goes through ``django.contrib.auth.authenticate`` with the request
(allauth's login and reauthentication), where ``axes.backends.AxesStandaloneBackend`` comes
first: once an account (e-mail) or a client address has failed ``AXES_FAILURE_LIMIT`` times
within the cool-off, every password for it is refused, the right one too, with the same
lockout page. Django admin's own login and password-change forms are replaced by redirects
to allauth's (``portal.views.accounts``), so no other form checks a staff password.
"""

from __future__ import annotations

from django.http import HttpRequest


def login_name(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a login attempt names, as axes counts it: the e-mail in lower case, so
    that ``Admin@Bank`` and ``admin@bank`` share one count."""
    credentials = credentials or {}
    name = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not name and request is not None and request.method == "POST":
        name = request.POST.get("login")
    name = (name or "").strip().lower()
    return name or None
