"""Money and rates on pages, one way for the portal and the console (``{% load money %}``).

``{% money amount currency %}``: the figure of :func:`core.money.money_text` in a
``<span class="money">``; a negative amount also gets ``money-negative`` (and its minus sign).
``{{ rate|percent }}``: a fraction (``0.099``) as ``9.90 %``."""

from __future__ import annotations

from decimal import InvalidOperation

from django import template

from core.money import MISSING, money_html, percent_text

register = template.Library()


@register.simple_tag
def money(amount, currency: str = ""):
    try:
        return money_html(amount, currency)
    except (InvalidOperation, TypeError, ValueError):
        return MISSING


@register.filter
def percent(rate, places: int = 2) -> str:
    try:
        return percent_text(rate, int(places))
    except (InvalidOperation, TypeError, ValueError):
        return MISSING
