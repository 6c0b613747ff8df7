"""Charts of the portal, rendered on the server as inline SVG by pygal (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from core.chart_ticks import integer_y_labels

STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d2733",
    foreground_strong="#1d2733",
    foreground_subtle="#dde3ea",
    colors=("#b3121f", "#9a6700", "#1a7f37", "#5b6776"),
    font_family='system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif',
)

CONFIG = {
    "style": STYLE,
    "height": 280,
    "width": 760,
    "js": [],  # pygal's default tooltips script comes from a CDN: none
    "disable_xml_declaration": True,
    "show_legend": True,
    "legend_at_bottom": True,
    "print_values": False,
    "x_label_rotation": 0,
    "show_minor_x_labels": False,
    "truncate_label": -1,
}


def _svg(chart) -> SafeString:
    # pygal escapes labels and values itself; the result is our own SVG markup.
    return mark_safe(chart.render(is_unicode=True))  # noqa: S308


def daily_calls_chart(
    *, title: str, days: Sequence[date], calls: Sequence[int], errors: Sequence[int], labels: tuple[str, str]
) -> SafeString:
    """API calls and errors per day, as a bar chart."""
    chart = pygal.Bar(title=title, **CONFIG, **integer_y_labels([calls, errors]))  # whole-number ticks
    chart.x_labels = [d.strftime("%m-%d") for d in days]
    chart.x_labels_major = [d.strftime("%m-%d") for d in days[::7]]
    chart.add(labels[0], list(calls))
    chart.add(labels[1], list(errors))
    return _svg(chart)


def monthly_amounts_chart(
    *, title: str, months: Sequence[str], series: dict[str, Sequence[float]]
) -> SafeString:
    """Amounts per month (revenue share), one series per label."""
    chart = pygal.Bar(title=title, **{**CONFIG, "show_minor_x_labels": True})
    chart.x_labels = list(months)
    for label, values in series.items():
        chart.add(label, list(values))
    return _svg(chart)
