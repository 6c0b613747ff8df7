"""Y-axis ticks of charts of counts (calls, partners, offers): whole numbers only.

pygal spreads its ticks evenly over the data's range, so a chart of 0 or 1 calls is labelled
0, 0.1, 0.2 … 1. A chart whose values are all ``int`` gets these ticks instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

NICE_STEPS = (1, 2, 5)


def count_ticks(maximum: int, *, most: int = 10) -> list[int]:
    """0 to at least ``maximum`` (at least 1) in steps of 1, 2, 5, 10, 20, 50 …: ``most`` + 1
    ticks at most."""
    scale = 1
    while True:
        for nice in NICE_STEPS:
            step = nice * scale
            if maximum <= step * most:
                top = max(step, math.ceil(maximum / step) * step)
                return list(range(0, top + step, step))
        scale *= 10


def integer_y_labels(series: Iterable[Iterable], *, stacked: bool = False) -> dict:
    """pygal options that put whole-number ticks on a chart whose values are all counts; none
    for amounts (``Decimal`` or ``float``)."""
    columns = [list(values) for values in series]
    values = [v for column in columns for v in column]
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return {}
    if stacked:
        maximum = max((sum(point) for point in zip(*columns, strict=False)), default=0)
    else:
        maximum = max(values)
    return {"y_labels": count_ticks(max(maximum, 0))}
