"""Risk rules over reported transactions. Each rule looks at one business day, aggregates in
SQL, and returns unsaved signals (partner, subject, window, severity, evidence); the scan
service stores them once. Thresholds are settings (``RISK_*``). Amounts are summed per
currency, which the evidence names; ``console.evidence`` shows the evidence to people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import ExtractHour

from console.models import RiskSignal, TransactionDaily
from core.money import MoneySum
from revenue.models import Transaction
from scenarios.models import BundleItem

Rule = RiskSignal.Rule
Severity = RiskSignal.Severity


def _signal(rule: str, partner_id: int, subject: str, day: date, severity: str, **evidence) -> RiskSignal:
    return RiskSignal(
        rule=rule,
        partner_id=partner_id,
        subject=subject[:200],
        window_start=day,
        window_end=day,
        severity=severity,
        evidence={k: str(v) if isinstance(v, Decimal) else v for k, v in evidence.items()},
    )


def _day(day: date):
    return Transaction.objects.filter(occurred_on=day)


def velocity_spikes(day: date) -> list[RiskSignal]:
    """A partner's transactions on ``day`` against its own average day over the baseline
    window before it (from the roll-up). Fires at ``RISK_VELOCITY_MULTIPLIER`` × the baseline
    and at least ``RISK_VELOCITY_MIN_TRANSACTIONS``."""
    days = settings.RISK_VELOCITY_BASELINE_DAYS
    baseline = dict(
        TransactionDaily.objects.filter(day__gte=day - timedelta(days=days), day__lt=day)
        .values_list("partner_id")
        .annotate(n=Sum("count"))
        .order_by()
    )
    found = []
    multiplier = Decimal(settings.RISK_VELOCITY_MULTIPLIER)
    for partner_id, today in _day(day).values_list("partner_id").annotate(n=Count("id")).order_by():
        average = (Decimal(baseline.get(partner_id, 0)) / days).quantize(Decimal("0.01"))
        if today < settings.RISK_VELOCITY_MIN_TRANSACTIONS or today < multiplier * average:
            continue
        ratio = (Decimal(today) / average).quantize(Decimal("0.01")) if average else None
        severity = Severity.HIGH if ratio is None or ratio >= 2 * multiplier else Severity.MEDIUM
        found.append(
            _signal(
                Rule.VELOCITY,
                partner_id,
                "all",
                day,
                severity,
                transactions=today,
                baseline_daily_average=average,
                baseline_days=days,
                ratio=ratio,
            )
        )
    return found


def repeated_amounts(day: date) -> list[RiskSignal]:
    """The same amount charged to one customer reference several times on one day."""
    minimum = settings.RISK_REPEATED_AMOUNT_MIN
    rows = (
        _day(day)
        .filter(kind=Transaction.Kind.SALE)
        .exclude(customer_ref="")
        .values("partner_id", "customer_ref", "amount", "currency")
        .annotate(n=Count("id"))
        .filter(n__gte=minimum)
        .order_by()
    )
    return [
        _signal(
            Rule.REPEATED_AMOUNT,
            r["partner_id"],
            f"{r['customer_ref']}:{r['amount']}",
            day,
            Severity.HIGH if r["n"] >= 2 * minimum else Severity.MEDIUM,
            customer_ref=r["customer_ref"],
            amount=r["amount"],
            currency=r["currency"],
            transactions=r["n"],
        )
        for r in rows
    ]


def refund_ratios(day: date) -> list[RiskSignal]:
    """Refunded amount over sold amount of a partner on one day above ``RISK_REFUND_RATIO``."""
    threshold = Decimal(str(settings.RISK_REFUND_RATIO))
    rows = (
        _day(day)
        .values("partner_id", "currency")
        .annotate(
            sales=Count("id", filter=Q(kind="sale")),
            sold=MoneySum("amount", filter=Q(kind="sale")),
            refunded=MoneySum("amount", filter=Q(kind="refund")),
        )
        .filter(sales__gte=settings.RISK_REFUND_MIN_SALES, refunded__gt=threshold * F("sold"))
        .order_by()
    )
    found = []
    for r in rows:
        ratio = (r["refunded"] / r["sold"]).quantize(Decimal("0.0001"))
        severity = Severity.HIGH if ratio >= 2 * threshold else Severity.MEDIUM
        found.append(
            _signal(
                Rule.REFUND_RATIO,
                r["partner_id"],
                "all",
                day,
                severity,
                sales=r["sales"],
                sold=r["sold"],
                refunded=r["refunded"],
                currency=r["currency"],
                ratio=ratio,
                threshold=threshold,
            )
        )
    return found


def outside_product_range(day: date) -> list[RiskSignal]:
    """Transactions in a product that is not in the scenario version's bundle, or for an amount
    outside the product's amount range."""
    in_bundle = BundleItem.objects.filter(
        scenario_id=OuterRef("scenario_id"), product_id=OuterRef("product_id")
    )
    rows = (
        _day(day)
        .filter(
            ~Exists(in_bundle)
            | Q(product__min_amount__isnull=False, amount__lt=F("product__min_amount"))
            | Q(product__max_amount__isnull=False, amount__gt=F("product__max_amount"))
        )
        .values("partner_id", "scenario_code", "product__code", "currency")
        .annotate(n=Count("id"), total=MoneySum("amount"))
        .order_by()
    )
    return [
        _signal(
            Rule.OUT_OF_RANGE,
            r["partner_id"],
            f"{r['scenario_code']}/{r['product__code']}",
            day,
            Severity.HIGH,
            scenario=r["scenario_code"],
            product=r["product__code"],
            transactions=r["n"],
            amount=r["total"],
            currency=r["currency"],
        )
        for r in rows
    ]


def out_of_hours_bursts(day: date) -> list[RiskSignal]:
    """Many transactions of a partner in the night hours (Asia/Shanghai) of one day."""
    start, end = settings.RISK_NIGHT_HOURS
    minimum = settings.RISK_OUT_OF_HOURS_MIN
    rows = (
        _day(day)
        .annotate(hour=ExtractHour("occurred_at"))
        .filter(hour__gte=start, hour__lt=end)
        .values("partner_id")
        .annotate(n=Count("id"))
        .filter(n__gte=minimum)
        .order_by()
    )
    return [
        _signal(
            Rule.OUT_OF_HOURS,
            r["partner_id"],
            f"{start:02d}:00-{end:02d}:00",
            day,
            Severity.HIGH if r["n"] >= 3 * minimum else Severity.MEDIUM,
            transactions=r["n"],
            hours=f"{start:02d}:00-{end:02d}:00",
        )
        for r in rows
    ]


RULES: dict[str, Callable[[date], list[RiskSignal]]] = {
    Rule.VELOCITY: velocity_spikes,
    Rule.REPEATED_AMOUNT: repeated_amounts,
    Rule.REFUND_RATIO: refund_ratios,
    Rule.OUT_OF_RANGE: outside_product_range,
    Rule.OUT_OF_HOURS: out_of_hours_bursts,
}
