"""Charts of counts are labelled in whole numbers; charts of amounts keep pygal's own ticks."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from core import charts
from core.chart_ticks import count_ticks, integer_y_labels


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (7, [0, 1, 2, 3, 4, 5, 6, 7]),
        (11, [0, 2, 4, 6, 8, 10, 12]),
        (23, [0, 5, 10, 15, 20, 25]),
        (1234, [0, 200, 400, 600, 800, 1000, 1200, 1400]),
    ],
)
def test_count_ticks_are_whole_numbers_that_cover_the_maximum(maximum, ticks):
    assert count_ticks(maximum) == ticks


def test_stacked_counts_are_covered_by_their_sum():
    assert integer_y_labels([[3, 1], [4, 0]], stacked=True) == {"y_labels": [0, 1, 2, 3, 4, 5, 6, 7]}


def test_amounts_keep_the_chart_s_own_ticks():
    assert integer_y_labels([[Decimal("1.50")], [2]]) == {}
    assert integer_y_labels([[0.5]]) == {}


def _y_labels(svg: str) -> list[str]:
    axis = re.search(r'class="axis y[^"]*"(.*?)class="axis x', svg, re.S) or re.search(
        r'class="axis y[^"]*"(.*)', svg, re.S
    )
    return re.findall(r">(-?[0-9][0-9.,]*)<", axis.group(1))


def test_the_partner_s_calls_chart_has_no_tenth_of_a_call():
    svg = charts.bar_chart(
        title="Calls",
        labels=[date(2026, 11, d) for d in (1, 2, 3)],
        series={"a": [0, 1, 0], "b": [0, 0, 0]},
        look=charts.PORTAL,
    )

    labels = _y_labels(svg)
    assert labels
    assert not [label for label in labels if "." in label]


def test_the_console_s_count_charts_have_no_tenth_of_a_count():
    line = charts.line_chart(title="Calls", labels=["a", "b"], series={"Calls": [0, 1]})
    bars = charts.bar_chart(title="Partners", labels=["x"], series={"active": [1]}, stacked=True)

    for svg in (line, bars):
        assert not [label for label in _y_labels(svg) if "." in label]
