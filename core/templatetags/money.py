"""Money and rates on pages, one way for the portal and the console (``{% load money %}``).

``{% money amount currency %}``: the figure of :func:`core.money.money_text` in a
``<span class="money">``; a negative amount also gets ``money-negative`` (and its minus sign).
``{{ rate|percent }}``: a fraction (``0.099``) as ``9.90 %``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from core.money import MISSING, money_text, percent_text

register = template.Library()


@register.simple_tag
def money(amount, currency: str = ""):
    try:
        negative = amount not in (None, "") and Decimal(amount) < 0
    except (InvalidOperation, TypeError, ValueError):
        return MISSING
    css = "money money-negative" if negative else "money"
    return format_html('<span class="{}">{}</span>', css, money_text(amount, currency))


@register.filter
def percent(rate, places: int = 2) -> str:
    try:
        return percent_text(rate, int(places))
    except (InvalidOperation, TypeError, ValueError):
        return MISSING
