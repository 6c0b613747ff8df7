"""Downloads of console figures (CSV, XLSX) through ``core.exports``: partners' names never
become live formulas, amounts are numbers (XLSX: numeric cells in the money format)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from core.exports import csv_response, money, rate, xlsx_response

from .forms import Filters
from .selectors.revenue import FUNNEL_HEADERS, Funnel, funnel_table

FORMATS = ("csv", "xlsx")
# The column names people read (in their language), never the keys behind them.
FUNNEL_LABELS = {
    "scenario": _("Scenario"),
    "partner": _("Partner"),
    "offers_quoted": _("Offers quoted"),
    "transactions": _("Transactions"),
    "refunds": _("Refunds"),
    "conversion": _("Conversion"),
    "gross": _("Gross amount"),
    "revenue_share": _("Revenue share"),
    "customers": _("Customers"),
    "cross_sell_customers": _("Cross-sell customers"),
    "cross_sell_rate": _("Cross-sell rate"),
}
MONEY_COLUMNS = frozenset(FUNNEL_HEADERS.index(name) for name in ("gross", "revenue_share"))
RATE_COLUMNS = frozenset(FUNNEL_HEADERS.index(name) for name in ("conversion", "cross_sell_rate"))


def _cell(index: int, value):
    if index in MONEY_COLUMNS:
        return money(value)
    return rate(value) if index in RATE_COLUMNS else value


def _funnel_rows(funnel: Funnel) -> list[list]:
    rows: list[list] = [[str(FUNNEL_LABELS[name]) for name in FUNNEL_HEADERS]]
    for row in funnel_table(funnel):
        rows.append([_cell(index, value) for index, value in enumerate(row)])
    return rows


def funnel_response(funnel: Funnel, *, filters: Filters, file_format: str) -> HttpResponse:
    name = f"funnel-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.{file_format}"
    if file_format == "xlsx":
        return xlsx_response(_funnel_rows(funnel), filename=name, title="funnel", header_rows=[0])
    return csv_response(_funnel_rows(funnel), filename=name)
