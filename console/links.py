"""Admin changelist URLs with filters: every figure links to the records behind it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse


def changelist(app_label: str, model_name: str, **filters) -> str:
    """``/admin/<app>/<model>/?<filters>``, dropping empty filters; "" if not registered."""
    try:
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:
        return ""
    query = {k: v for k, v in filters.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url
