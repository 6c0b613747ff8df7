"""Figures over reported transactions and revenue share: the dashboard's money figures and the
scenario funnel. They read the roll-ups (``TransactionDaily``, ``ScenarioCustomersMonthly``,
``scenarios.OfferQuoteDaily``) and the statements, never the ledger itself, so their cost
follows the number of days and combinations shown, not the size of the ledger."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth

from console.models import ScenarioCustomersMonthly, TransactionDaily
from core.money import MoneySum
from revenue.models import SettlementRun, Statement
from scenarios.models import OfferQuoteDaily
from scenarios.selectors import scenario_names

from ..forms import Filters
from ..links import changelist

ZERO = Decimal("0.00")
TOP_PRODUCTS = 3
SETTLEMENT_PERIODS = 6

# Sales count positively, refunds negatively, in gross amounts (as in statements).
SIGNED_AMOUNT = Case(
    When(kind="refund", then=-F("amount")),
    default=F("amount"),
    output_field=DecimalField(max_digits=18, decimal_places=2),
)
SALES = Sum(Case(When(kind="sale", then=F("count")), default=Value(0), output_field=IntegerField()))
REFUNDS = Sum(Case(When(kind="refund", then=F("count")), default=Value(0), output_field=IntegerField()))
GROSS = MoneySum(SIGNED_AMOUNT, default=ZERO)


def _daily(filters: Filters) -> QuerySet[TransactionDaily]:
    qs = TransactionDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.industry:
        qs = qs.filter(partner__industry=filters.industry)
    if filters.scenario:
        qs = qs.filter(scenario_code=filters.scenario)
    return qs


def _statements(filters: Filters) -> QuerySet[Statement]:
    """Statements whose period starts in the range (revenue share is known per statement)."""
    qs = Statement.objects.filter(period_start__gte=filters.start, period_start__lte=filters.end)
    if filters.industry:
        qs = qs.filter(partner__industry=filters.industry)
    if filters.scenario:
        qs = qs.filter(scenario_code=filters.scenario)
    return qs


SHARE = MoneySum(F("share_amount") + F("adjustment_amount"), default=ZERO)


def transactions_by_month(*, filters: Filters) -> list[dict]:
    """Per calendar month: sales, refunds, gross (sales less refunds), and the revenue share of
    statements whose period starts that month."""
    rows = {
        r["month"]: {**r, "share": ZERO}
        for r in _daily(filters)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(sales=SALES, refunds=REFUNDS, gross=GROSS)
        .order_by("month")
    }
    for r in (
        _statements(filters).annotate(month=TruncMonth("period_start")).values("month").annotate(share=SHARE)
    ):
        rows.setdefault(r["month"], {"month": r["month"], "sales": 0, "refunds": 0, "gross": ZERO})[
            "share"
        ] = r["share"]
    return [rows[m] for m in sorted(rows)]


def _by(filters: Filters, *keys: str) -> dict[tuple, dict]:
    return {
        tuple(r[k] for k in keys): r
        for r in _daily(filters).values(*keys).annotate(sales=SALES, refunds=REFUNDS, gross=GROSS).order_by()
    }


def _shares(filters: Filters, *keys: str) -> dict[tuple, Decimal]:
    return {
        tuple(r[k] for k in keys): r["share"]
        for r in _statements(filters).values(*keys).annotate(share=SHARE).order_by()
    }


def transactions_by_scenario(*, filters: Filters) -> list[dict]:
    shares = _shares(filters, "scenario_code")
    by_code = sorted(_by(filters, "scenario_code").items())
    names = scenario_names(code for (code,), _r in by_code)
    rows = []
    for (code,), r in by_code:
        rows.append(
            {
                **r,
                "scenario": names.get(code, code),
                "share": shares.get((code,), ZERO),
                "link": changelist(
                    "revenue",
                    "transaction",
                    scenario_code=code,
                    occurred_on__gte=filters.start,
                    occurred_on__lte=filters.end,
                ),
            }
        )
    return rows


def transactions_by_partner(*, filters: Filters, limit: int = 10) -> list[dict]:
    """The partners with the largest gross in the period."""
    shares = _shares(filters, "partner_id")
    rows = list(
        _daily(filters)
        .values("partner_id", "partner__display_name")
        .annotate(sales=SALES, refunds=REFUNDS, gross=GROSS)
        .order_by("-gross", "partner_id")[:limit]
    )
    for r in rows:
        r["share"] = shares.get((r["partner_id"],), ZERO)
        r["link"] = changelist(
            "revenue",
            "transaction",
            partner__id__exact=r["partner_id"],
            occurred_on__gte=filters.start,
            occurred_on__lte=filters.end,
        )
    return rows


def settlement_status(*, filters: Filters) -> list[dict]:
    """Statements per period start and status, for the last periods that have statements."""
    qs = Statement.objects.all()
    if filters.industry:
        qs = qs.filter(partner__industry=filters.industry)
    if filters.scenario:
        qs = qs.filter(scenario_code=filters.scenario)
    starts = list(
        qs.order_by("-period_start").values_list("period_start", flat=True).distinct()[:SETTLEMENT_PERIODS]
    )
    if not starts:
        return []
    by_start: dict = defaultdict(lambda: dict.fromkeys(Statement.Status.values, 0))
    for r in (
        qs.filter(period_start__in=starts).values("period_start", "status").annotate(n=Count("id")).order_by()
    ):
        by_start[r["period_start"]][r["status"]] = r["n"]
    return [
        {"period_start": s, **by_start[s], "link": changelist("revenue", "statement", period_start=s)}
        for s in starts
    ]


def last_settlement_runs(limit: int = 5) -> list[SettlementRun]:
    return list(SettlementRun.objects.order_by("-started_at", "-id")[:limit])


# --------------------------------------------------------------------------------------
# The scenario funnel
# --------------------------------------------------------------------------------------
@dataclass
class FunnelRow:
    scenario_code: str
    partner_id: int
    partner: str
    scenario: str = ""  # its name in the user's language
    quotes: int = 0
    sales: int = 0
    refunds: int = 0
    gross: Decimal = ZERO
    share: Decimal = ZERO
    customers: int = 0
    cross_sell_customers: int = 0

    @property
    def conversion(self) -> Decimal | None:
        """Transactions reported per offer request quoted."""
        return (Decimal(self.sales) / self.quotes).quantize(Decimal("0.0001")) if self.quotes else None

    @property
    def cross_sell_rate(self) -> Decimal | None:
        if not self.customers:
            return None
        return (Decimal(self.cross_sell_customers) / self.customers).quantize(Decimal("0.0001"))


@dataclass
class Funnel:
    rows: list[FunnelRow]
    top_products: dict[str, list[dict]] = field(default_factory=dict)


def _quotes(filters: Filters) -> QuerySet[OfferQuoteDaily]:
    qs = OfferQuoteDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.industry:
        qs = qs.filter(partner__industry=filters.industry)
    if filters.scenario:
        qs = qs.filter(scenario__code=filters.scenario)
    return qs


def _customers(filters: Filters) -> QuerySet[ScenarioCustomersMonthly]:
    """Customer counts of the months the period touches (they are kept per month)."""
    qs = ScenarioCustomersMonthly.objects.filter(
        month__gte=filters.start.replace(day=1), month__lte=filters.end
    )
    if filters.industry:
        qs = qs.filter(partner__industry=filters.industry)
    if filters.scenario:
        qs = qs.filter(scenario_code=filters.scenario)
    return qs


def scenario_funnel(*, filters: Filters) -> Funnel:
    """Per scenario and partner: offer requests quoted → sales reported → gross → revenue share,
    with conversion and cross-sell rates; and the top products of each scenario. Five queries."""
    rows: dict[tuple[str, int], FunnelRow] = {}

    def row(code: str, partner_id: int, name: str) -> FunnelRow:
        return rows.setdefault((code, partner_id), FunnelRow(code, partner_id, name))

    for r in (
        _quotes(filters)
        .values("scenario__code", "partner_id", "partner__display_name")
        .annotate(quotes=Sum("quotes"))
        .order_by()
    ):
        row(r["scenario__code"], r["partner_id"], r["partner__display_name"]).quotes = r["quotes"]
    for r in (
        _daily(filters)
        .values("scenario_code", "partner_id", "partner__display_name")
        .annotate(sales=SALES, refunds=REFUNDS, gross=GROSS)
        .order_by()
    ):
        item = row(r["scenario_code"], r["partner_id"], r["partner__display_name"])
        item.sales, item.refunds, item.gross = r["sales"], r["refunds"], r["gross"]
    for r in (
        _statements(filters)
        .values("scenario_code", "partner_id", "partner__display_name")
        .annotate(share=SHARE)
        .order_by()
    ):
        row(r["scenario_code"], r["partner_id"], r["partner__display_name"]).share = r["share"]
    for r in (
        _customers(filters)
        .values("scenario_code", "partner_id", "partner__display_name")
        .annotate(c=Sum("customers"), x=Sum("cross_sell_customers"))
        .order_by()
    ):
        item = row(r["scenario_code"], r["partner_id"], r["partner__display_name"])
        item.customers, item.cross_sell_customers = r["c"], r["x"]
    top: dict[str, list[dict]] = defaultdict(list)
    for r in (
        _daily(filters)
        .filter(kind="sale")
        .values("scenario_code", "product__code", "product__name", "product__name_zh")
        .annotate(sales=Sum("count"), amount=MoneySum("amount"))
        .order_by("scenario_code", "-sales", "product__code")
    ):
        if len(top[r["scenario_code"]]) < TOP_PRODUCTS:
            top[r["scenario_code"]].append(r)
    names = scenario_names({code for code, _partner in rows} | set(top))
    for row in rows.values():
        row.scenario = names.get(row.scenario_code, row.scenario_code)
    return Funnel(
        sorted(rows.values(), key=lambda f: (f.scenario_code, f.partner)),
        {names.get(code, code): products for code, products in top.items()},
    )


FUNNEL_HEADERS = (
    "scenario",
    "partner",
    "offers_quoted",
    "transactions",
    "refunds",
    "conversion",
    "gross",
    "revenue_share",
    "customers",
    "cross_sell_customers",
    "cross_sell_rate",
)


def funnel_table(funnel: Funnel) -> list[tuple]:
    """The funnel as rows of plain values (exports)."""
    return [
        (
            r.scenario,
            r.partner,
            r.quotes,
            r.sales,
            r.refunds,
            r.conversion,
            r.gross,
            r.share,
            r.customers,
            r.cross_sell_customers,
            r.cross_sell_rate,
        )
        for r in funnel.rows
    ]
