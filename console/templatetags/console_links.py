"""``{% if url|admin_allows:request %}``: a console link to the admin only for who may open it."""

from __future__ import annotations

from django import template

from .. import links

register = template.Library()


@register.filter
def admin_allows(url: str, request) -> bool:
    return links.admin_allows(request, url)
