"""Template helpers for the Content-Security-Policy."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
_STYLE = re.compile(r"<style\b")


@register.filter
def csp_svg(chart: SafeString | str, nonce: str) -> SafeString | str:
    """A server-rendered SVG chart (pygal) that runs under the policy: its ``<style>`` carries
    the request's nonce, and its ``<script>`` (pygal's tooltip settings; we serve no tooltip
    script) is left out. Usage: ``{{ chart|csp_svg:request.csp_nonce }}``."""
    if not isinstance(chart, SafeString):
        return chart  # only our own markup is touched; anything else stays escaped text
    svg = _SCRIPT.sub("", str(chart))
    return mark_safe(_STYLE.sub(f'<style nonce="{escape(nonce)}"', svg))  # noqa: S308 - our SVG, an escaped nonce
