"""Turn selector rows into what a page shows: a chart plus the table behind it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from core import charts
from core.i18n import localized
from core.money import money_text
from partners.models import Partner


def local(row: dict, prefix: str) -> str:
    """The name of ``<prefix>`` in the user's language (``core.i18n.localized``), or a dash."""
    return localized(row, f"{prefix}__name") or "—"


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def partners_chart(rows: Iterable[dict]):
    """Stacked bars: one bar per industry, one series per lifecycle state present."""
    industries: dict[int, str] = {}
    counts: dict[tuple[int, str], int] = {}
    for row in rows:
        industries[row["industry_id"]] = local(row, "industry")
        counts[(row["industry_id"], row["status"])] = row["count"]
    statuses = [s for s in Partner.Status if any(k[1] == s for k in counts)]
    series = {str(s.label): [counts.get((i, s), 0) for i in industries] for s in statuses}
    return charts.bar_chart(
        title=_("Partners by industry and state"),
        labels=list(industries.values()),
        series=series,
        stacked=True,
    )


def api_usage_chart(rows: Iterable[dict], start: date, end: date):
    """Lines of calls and errors per day; days without calls count as 0."""
    by_day = {row["day"]: row for row in rows}
    labels = days(start, end)
    return charts.line_chart(
        title=_("API calls and errors per day"),
        labels=[d.isoformat() for d in labels],
        series={
            _("Calls"): [by_day[d]["calls"] if d in by_day else 0 for d in labels],
            _("Errors"): [by_day[d]["errors"] if d in by_day else 0 for d in labels],
        },
    )


def chart_money(value: float) -> str:
    """A plotted amount (pygal plots floats) as money again, for hover and axis texts."""
    return money_text(Decimal(repr(value)), "CNY")


def money_by_month_chart(rows: Iterable[dict]):
    rows = list(rows)
    return charts.bar_chart(
        title=_("Gross and revenue share per month"),
        labels=[r["month"].strftime("%Y-%m") for r in rows],
        series={_("Gross"): [r["gross"] for r in rows], _("Revenue share"): [r["share"] for r in rows]},
        value_formatter=chart_money,
    )


def funnel_chart(funnel):
    """Per line of the breakdown: offers shown against offers taken."""
    lines = funnel.lines
    return charts.bar_chart(
        title=_("Offers shown and offers taken"),
        labels=[line.label for line in lines],
        series={
            _("Offers shown"): [line.offers for line in lines],
            _("Offers taken"): [line.taken for line in lines],
        },
    )


def versions_chart(funnel):
    """The chosen scenario's versions: conversion in percent."""
    return charts.bar_chart(
        title=_("Conversion per version (%)"),
        labels=[line.label for line in funnel.versions],
        series={_("Conversion"): [line.conversion * 100 for line in funnel.versions]},
    )
