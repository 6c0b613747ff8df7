"""Downloads of console figures (CSV, XLSX) through ``core.exports``: partners' names never
become live formulas, amounts are numbers (XLSX: numeric cells in the money format)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exports import csv_response, csv_streaming_response, money, rate, xlsx_response

from .selectors.funnel import FUNNEL_HEADERS, StaffFunnel, funnel_table
from .selectors.payouts import PAYOUT_HEADERS, PayoutsOverview, payouts_table

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


# --------------------------------------------------------------------------------------
# Consents (PIPL), for an audit
# --------------------------------------------------------------------------------------
CONSENT_LABELS = (
    _("Partner"),
    _("Consent id"),
    _("Customer reference (keyed hash)"),
    _("Purposes"),
    _("Scenarios"),
    _("Granted at"),
    _("Withdrawn at"),
    _("First seen at"),
    _("Last seen at"),
)


def _local(moment):
    return None if moment is None else timezone.localtime(moment)


def consent_rows(consents: QuerySet) -> Iterator[list]:
    """The header, then one row per consent: codes as sent (the audit reads codes), times in
    Beijing time. Read in chunks with the scenarios prefetched per chunk: memory stays flat."""
    yield [str(label) for label in CONSENT_LABELS]
    for consent in consents.iterator(chunk_size=2000):
        yield [
            consent.partner.display_name,
            consent.consent_id,
            consent.customer_ref,
            " ".join(consent.purposes),
            " ".join(row.scenario_code for row in consent.scenarios.all()),
            _local(consent.granted_at),
            _local(consent.withdrawn_at),
            _local(consent.first_seen_at),
            _local(consent.last_seen_at),
        ]


def consents_response(consents: QuerySet, *, file_format: str) -> HttpResponse:
    name = f"consents-{timezone.localdate():%Y%m%d}.{file_format}"
    rows: Iterable[list] = consent_rows(consents)
    if file_format == "xlsx":
        return xlsx_response(rows, filename=name, title="consents", header_rows=[0])
    return csv_streaming_response(rows, filename=name)


# --------------------------------------------------------------------------------------
# Payouts by partner
# --------------------------------------------------------------------------------------
PAYOUT_LABELS = {
    "partner": _("Partner"),
    "currency": _("Currency"),
    "owed": _("Owed"),
    "clawback_open": _("Claw-backs open"),
    "net_owed": _("Net owed"),
    "in_payment": _("In payment"),
    "paid": _("Paid"),
    "returned": _("Returned"),
}


def payouts_response(overview: PayoutsOverview, *, file_format: str) -> HttpResponse:
    """The by-partner table (and its totals, one per currency): names never become formulas,
    amounts are numbers."""
    rows: list[list] = [[str(PAYOUT_LABELS[name]) for name in PAYOUT_HEADERS]]
    rows += [row[:2] + [money(value) for value in row[2:]] for row in payouts_table(overview)]
    name = f"payouts-{overview.start:%Y%m%d}-{overview.end:%Y%m%d}.{file_format}"
    if file_format == "xlsx":
        return xlsx_response(rows, filename=name, title="payouts", header_rows=[0])
    return csv_response(rows, filename=name)
