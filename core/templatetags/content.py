"""``{% load content %}``: content in the user's language (see ``core.i18n``)."""

from __future__ import annotations

from django import template

from core import i18n

register = template.Library()


@register.filter
def localized(obj: object, field: str) -> str:
    """``{{ scenario|localized:"data_purpose" }}``: the Chinese text in the Chinese UI, else the English."""
    return i18n.localized(obj, field)
