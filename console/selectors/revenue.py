"""Figures over reported transactions and revenue share: the dashboard's money figures. They
read the roll-up ``TransactionDaily`` and the statements, never the ledger itself, so their
cost follows the number of days and combinations shown, not the size of the ledger. The offer
funnel is ``console.selectors.funnel``."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth

from console.models import TransactionDaily
from core.money import MoneySum
from revenue.models import SettlementRun, Statement
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
