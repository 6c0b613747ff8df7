"""Server-rendered SVG charts (pygal). No script is embedded: the pages stay self-contained."""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from core.chart_ticks import integer_y_labels

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="-apple-system, 'Segoe UI', system-ui, Roboto, 'PingFang SC', 'Microsoft YaHei', sans-serif",
    colors=("#417690", "#ba2121", "#79aec8", "#e0a800", "#5b8c5a", "#8e6bbf", "#c0693b", "#666666"),
)


def _config(**extra) -> dict:
    return {
        "style": STYLE,
        "width": 860,
        "height": 320,
        "js": [],  # pygal links a remote tooltip script by default; we serve none
        "x_label_rotation": 30,
        "legend_at_bottom": True,
        "truncate_legend": 40,
        "print_values": False,
        "no_data_text": "—",
        **extra,
    }


def _render(chart) -> SafeString:
    # pygal escapes labels and titles; the SVG is our own output.
    return mark_safe(chart.render(is_unicode=True, disable_xml_declaration=True))  # noqa: S308


def bar_chart(
    *, title: str, labels: Sequence[str], series: dict[str, Sequence[float]], stacked: bool = False
) -> SafeString:
    ticks = integer_y_labels(series.values(), stacked=stacked)  # counts: whole-number ticks
    chart = (pygal.StackedBar if stacked else pygal.Bar)(**_config(title=title, **ticks))
    chart.x_labels = [str(label) for label in labels]
    for name, values in series.items():
        chart.add(str(name), [float(v) for v in values])
    return _render(chart)


def line_chart(*, title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> SafeString:
    # Dots and their tooltips are most of the rendering time on long series: draw lines only.
    chart = pygal.Line(
        **_config(
            title=title,
            show_minor_x_labels=False,
            x_labels_major_count=12,
            show_dots=len(labels) <= 31,
            **integer_y_labels(series.values()),  # counts: whole-number ticks
        )
    )
    chart.x_labels = [str(label) for label in labels]
    for name, values in series.items():
        chart.add(str(name), [float(v) for v in values])
    return _render(chart)
