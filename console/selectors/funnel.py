"""The true funnel for staff: offers shown → distinct offers taken → gross → revenue share →
reward cost, from the roll-ups only (``scenarios.OfferFunnelDaily``, ``OfferCustomerDaily``)
and the statements, never the offer log or the ledger. At most five queries whatever the data
size: the breakdown, the statements' rates, the scenarios' names, the version comparison and
(when asked: its cost follows the number of customers) the cross-sell counts.

Revenue share, the rule: statements are per agreement and period, not per offer. For each
partner and scenario, the effective rate is the share of its statements whose period starts in
the funnel's period divided by their gross (``Σ share_amount / Σ gross_amount``; no statement
or no gross → 0). A row's revenue share is its attributed net gross times that rate, rounded
half up to the fen per partner and scenario, then added up. Adjustments are left out (they
correct past statements, not these sales).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext as _

from core.fen import to_fen
from core.money import MoneySum
from revenue.models import Statement
from scenarios.insights import STAFF_GROUPS, FunnelQuery, conversion, cross_sell, funnel_breakdown
from scenarios.selectors import scenario_names

ZERO = Decimal("0.00")
FIGURES = ("offers", "taken", "gross_amount", "share", "reward_cost")


@dataclass(frozen=True)
class StaffFunnelQuery:
    start: date
    end: date
    group_by: str = "scenario"
    scenario: str = ""
    partner_id: int | None = None
    # Versions compared side by side (of ``scenario``); default: its two latest with offers.
    versions: tuple[int, int] | None = None
    # Cross-sell counts distinct customers over the period: its cost follows the customers, so
    # the page counts it only when asked.
    with_cross_sell: bool = False

    @property
    def rollup(self) -> FunnelQuery:
        return FunnelQuery(start=self.start, end=self.end, scenario=self.scenario, partner_id=self.partner_id)


@dataclass
class FunnelLine:
    keys: dict
    label: str = ""
    offers: int = 0
    taken: int = 0
    gross_amount: Decimal = ZERO
    share: Decimal = ZERO
    reward_cost: Decimal = ZERO

    @property
    def conversion(self) -> Decimal:
        return conversion(self.taken, self.offers)


@dataclass
class VersionComparison:
    scenario: str
    a: FunnelLine
    b: FunnelLine

    @property
    def difference_points(self) -> Decimal:
        """b's conversion less a's, in percentage points (two decimals)."""
        return ((self.b.conversion - self.a.conversion) * 100).quantize(Decimal("0.01"))


@dataclass
class StaffFunnel:
    query: StaffFunnelQuery
    lines: list[FunnelLine]
    total: FunnelLine
    versions: list[FunnelLine] = field(default_factory=list)
    comparison: VersionComparison | None = None
    cross_sell: dict = field(default_factory=dict)


def _rates(query: StaffFunnelQuery) -> dict[tuple[int, str], Decimal]:
    statements = Statement.objects.filter(period_start__gte=query.start, period_start__lte=query.end)
    if query.partner_id is not None:
        statements = statements.filter(partner_id=query.partner_id)
    if query.scenario:
        statements = statements.filter(scenario_code=query.scenario)
    rates = {}
    for row in (
        statements.values("partner_id", "scenario_code")
        .annotate(
            share=MoneySum(F("share_amount"), default=ZERO), gross=MoneySum(F("gross_amount"), default=ZERO)
        )
        .order_by()
    ):
        rates[(row["partner_id"], row["scenario_code"])] = (
            row["share"] / row["gross"] if row["gross"] else ZERO
        )
    return rates


def _label(group_by: str, keys: dict, names: dict[str, str]) -> str:
    if group_by == "scenario":
        return names.get(keys["scenario"], keys["scenario"])
    if group_by == "version":
        return f"{names.get(keys['scenario'], keys['scenario'])} v{keys['version']}"
    if group_by == "partner":
        return keys["partner_name"]
    if group_by == "day":
        return keys["day"].isoformat()
    value = next(iter(keys.values()))
    return (value or "standard") if group_by == "segment" else value


def _fold(rows: list[dict], group_by: str, rates, names) -> list[FunnelLine]:
    """Rows grouped by (group, partner, scenario) → one line per group, each partner-scenario
    part's share rounded to the fen before it is added."""
    group_keys = _GROUP_KEYS[group_by]
    lines: dict[tuple, FunnelLine] = {}
    for row in rows:
        keys = {k: row[k] for k in group_keys}
        line = lines.setdefault(tuple(keys.values()), FunnelLine(keys=keys))
        line.offers += row["offers"]
        line.taken += row["taken"]
        line.gross_amount += row["gross_amount"]
        line.reward_cost += row["reward_cost"]
        line.share += to_fen(row["gross_amount"] * rates.get((row["partner"], row["scenario"]), ZERO))
    for line in lines.values():
        line.label = _label(group_by, line.keys, names)
    return list(lines.values())


_GROUP_KEYS = {
    "scenario": ("scenario",),
    "version": ("scenario", "version"),
    "product": ("product",),
    "segment": ("segment",),
    "channel": ("channel",),
    "day": ("day",),
    "amount_band": ("amount_band",),
    "partner": ("partner", "partner_name"),
}


def staff_funnel(*, query: StaffFunnelQuery) -> StaffFunnel:
    """The funnel of ``query``: a line per value of its breakdown, the total, the versions of
    its scenario (when one is chosen) with two of them compared, and cross-sell when asked.
    Three queries, one more with a scenario, one more with cross-sell."""
    if query.group_by not in STAFF_GROUPS:
        raise ValueError(query.group_by)
    rows = funnel_breakdown(query=query.rollup, group_by=query.group_by, extra=("partner", "scenario"))
    rates = _rates(query)
    names = scenario_names(
        {row["scenario"] for row in rows} | ({query.scenario} if query.scenario else set())
    )
    lines = _fold(rows, query.group_by, rates, names)
    total = FunnelLine(keys={}, label="")
    for line in lines:
        for name in FIGURES:
            setattr(total, name, getattr(total, name) + getattr(line, name))
    result = StaffFunnel(query=query, lines=lines, total=total)
    if query.with_cross_sell:
        result.cross_sell = cross_sell(query=query.rollup)
    if query.scenario:
        version_rows = funnel_breakdown(query=query.rollup, group_by="version", extra=("partner",))
        result.versions = _fold(version_rows, "version", rates, names)
        by_number = {line.keys["version"]: line for line in result.versions}
        pair = query.versions or tuple(sorted(by_number)[-2:])
        if len(pair) == 2 and pair[0] in by_number and pair[1] in by_number:
            result.comparison = VersionComparison(query.scenario, by_number[pair[0]], by_number[pair[1]])
    return result


FUNNEL_HEADERS = ("group", "offers", "taken", "conversion", "gross", "revenue_share", "reward_cost")


def funnel_table(funnel: StaffFunnel) -> list[tuple]:
    """The funnel's lines as rows of plain values (exports), the total last."""
    rows = [
        (
            line.label,
            line.offers,
            line.taken,
            line.conversion,
            line.gross_amount,
            line.share,
            line.reward_cost,
        )
        for line in funnel.lines
    ]
    t = funnel.total
    rows.append((_("Total"), t.offers, t.taken, t.conversion, t.gross_amount, t.share, t.reward_cost))
    return rows
