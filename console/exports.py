"""Downloads of console figures (CSV, XLSX) through ``core.exports``: partners' names never
become live formulas, amounts are numbers (XLSX: numeric cells in the money format)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from core.exports import csv_response, money, rate, xlsx_response

from .selectors.funnel import FUNNEL_HEADERS, StaffFunnel, funnel_table

FORMATS = ("csv", "xlsx")
# The column names people read (in their language), never the keys behind them.
FUNNEL_LABELS = {
    "offers": _("Offers shown"),
    "taken": _("Offers taken"),
    "conversion": _("Conversion"),
    "gross": _("Gross amount"),
    "revenue_share": _("Revenue share"),
    "reward_cost": _("Reward cost"),
}
GROUP_LABELS = {
    "scenario": _("Scenario"),
    "version": _("Scenario version"),
    "product": _("Product"),
    "segment": _("Segment"),
    "channel": _("Channel"),
    "partner": _("Partner"),
    "amount_band": _("Amount band"),
    "day": _("Day"),
}
MONEY_COLUMNS = frozenset(FUNNEL_HEADERS.index(name) for name in ("gross", "revenue_share", "reward_cost"))
RATE_COLUMNS = frozenset({FUNNEL_HEADERS.index("conversion")})


def _cell(index: int, value):
    if index in MONEY_COLUMNS:
        return money(value)
    return rate(value) if index in RATE_COLUMNS else value


def _funnel_rows(funnel: StaffFunnel) -> list[list]:
    header = [str(GROUP_LABELS[funnel.query.group_by])]
    header += [str(FUNNEL_LABELS[name]) for name in FUNNEL_HEADERS[1:]]
    rows: list[list] = [header]
    for row in funnel_table(funnel):
        rows.append([_cell(index, value) for index, value in enumerate(row)])
    return rows


def funnel_response(funnel: StaffFunnel, *, file_format: str) -> HttpResponse:
    q = funnel.query
    name = f"funnel-{q.group_by}-{q.start:%Y%m%d}-{q.end:%Y%m%d}.{file_format}"
    if file_format == "xlsx":
        return xlsx_response(_funnel_rows(funnel), filename=name, title="funnel", header_rows=[0])
    return csv_response(_funnel_rows(funnel), filename=name)
