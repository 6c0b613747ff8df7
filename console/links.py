"""Admin changelist URLs with filters: every figure links to the records behind it, for whoever
may open them (``admin_allows``)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest
from django.urls import NoReverseMatch, Resolver404, resolve, reverse


def changelist(app_label: str, model_name: str, **filters) -> str:
    """``/admin/<app>/<model>/?<filters>``, dropping empty filters; "" if not registered."""
    try:
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:
        return ""
    query = {k: v for k, v in filters.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def admin_allows(request: HttpRequest, url: str) -> bool:
    """Whether the admin page at ``url`` opens for this user: the test the admin itself makes
    (the model admin's view-or-change permission), so the console never links to a 403."""
    if not url:
        return False
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return False
    model_admin = getattr(match.func, "model_admin", None)
    if model_admin is None:  # the index and the app pages: every staff member
        return True
    return model_admin.has_view_or_change_permission(request)
