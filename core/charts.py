"""Charts, rendered on the server as inline SVG by pygal: no script is embedded (pygal's
tooltips come from a CDN) and pygal escapes labels and titles itself.

Two looks, one per audience: ``STAFF`` (the staff console's, the default) and ``PORTAL`` (the
partner portal's brand colours and narrower width).
"""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from .chart_ticks import integer_y_labels

STAFF = {
    "style": Style(
        background="transparent",
        plot_background="transparent",
        font_family="-apple-system, 'Segoe UI', system-ui, Roboto, 'PingFang SC', 'Microsoft YaHei', sans-serif",
        colors=("#417690", "#ba2121", "#79aec8", "#e0a800", "#5b8c5a", "#8e6bbf", "#c0693b", "#666666"),
    ),
    "width": 860,
    "height": 320,
    "x_label_rotation": 30,
    "legend_at_bottom": True,
    "truncate_legend": 40,
    "print_values": False,
    "no_data_text": "—",
}
PORTAL = {
    "style": Style(
        background="transparent",
        plot_background="#ffffff",
        foreground="#1d2733",
        foreground_strong="#1d2733",
        foreground_subtle="#dde3ea",
        colors=("#b3121f", "#9a6700", "#1a7f37", "#5b6776"),
        font_family='system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif',
    ),
    "height": 280,
    "width": 760,
    "show_legend": True,
    "legend_at_bottom": True,
    "print_values": False,
    "x_label_rotation": 0,
    "show_minor_x_labels": False,
    "truncate_label": -1,
}


def _chart(kind, *, title: str, labels: Sequence, series: dict[str, Sequence], look: dict, **options):
    # pygal links a remote tooltip script by default: none is served.
    # Counts (calls, partners, offers) get whole-number ticks unless the caller chose some.
    ticks = integer_y_labels(series.values(), stacked=kind is pygal.StackedBar)
    chart = kind(title=title, **{**look, "js": [], **ticks, **options})
    chart.x_labels = [str(label) for label in labels]
    for name, values in series.items():
        chart.add(str(name), [float(v) for v in values])
    return chart


def _render(chart) -> SafeString:
    # pygal escapes labels and titles; the SVG is our own output.
    return mark_safe(chart.render(is_unicode=True, disable_xml_declaration=True))  # noqa: S308


def bar_chart(
    *,
    title: str,
    labels: Sequence,
    series: dict[str, Sequence],
    stacked: bool = False,
    look: dict = STAFF,
    major_labels: Sequence | None = None,
    **options,
) -> SafeString:
    """Bars of each series over ``labels`` (stacked or side by side); ``major_labels`` are the
    labels always written when the others are left out; ``options`` are pygal's."""
    kind = pygal.StackedBar if stacked else pygal.Bar
    chart = _chart(kind, title=title, labels=labels, series=series, look=look, **options)
    if major_labels is not None:
        chart.x_labels_major = [str(label) for label in major_labels]
    return _render(chart)


def line_chart(
    *, title: str, labels: Sequence, series: dict[str, Sequence], look: dict = STAFF
) -> SafeString:
    # Dots and their tooltips are most of the rendering time on long series: draw lines only.
    options = {"show_minor_x_labels": False, "x_labels_major_count": 12, "show_dots": len(labels) <= 31}
    return _render(_chart(pygal.Line, title=title, labels=labels, series=series, look=look, **options))
