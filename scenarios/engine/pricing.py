"""Price, schedule and reward of one bundle line for one request (eligibility is checked
first, in ``quote``)."""

from __future__ import annotations

from decimal import Decimal, localcontext

from products.terms import CREDIT, FEE_RATE, SAVINGS, Category, RepaymentMethod

from .money import CONTEXT, ONE, TWELVE, ZERO, fen, rate6, whole_down
from .schedules import schedule
from .types import BundleLine, Price, QuoteRequest, Reward, RewardTerms, ScheduleRow


def priced_rate(line: BundleLine, segment: str | None) -> Decimal:
    """Base rate, plus the segment's adjustment, plus the bundle's adjustment, clamped to the
    product's floor and ceiling."""
    product = line.product
    rate = product.rate + line.rate_adjustment
    if segment is not None:
        rate += product.segment_adjustments.get(segment, ZERO)
    return rate6(min(max(rate, product.rate_floor), product.rate_ceiling))


def takes_schedule(line: BundleLine) -> bool:
    """Credit lines with a repayment method are repaid on a schedule (a credit-limit uplift is a
    limit, not a loan: it has none)."""
    return line.product.category in CREDIT and bool(line.product.repayment_method)


def price_line(line: BundleLine, request: QuoteRequest) -> tuple[Price, tuple[ScheduleRow, ...] | None]:
    """The price of ``line`` and, for credit asked for with a tenor, its schedule."""
    product, amount, tenor = line.product, request.amount, request.tenor_months
    with localcontext(CONTEXT):
        if product.category == Category.DATA_SERVICE:
            return Price(fee=_waive(product.fixed_fee, line.fee_waiver)), None
        rate = priced_rate(line, request.segment)
        if product.category in CREDIT:
            return _credit(line, rate, amount, tenor)
        if product.category in SAVINGS:
            earned = fen(amount * rate * tenor / TWELVE) if tenor in product.tenor_months else None
            return Price(annual_rate=rate, expected_return=earned), None
        if product.category == Category.INSURANCE:
            premium = max(fen(amount * rate), product.minimum_charge or ZERO)
            return Price(premium_rate=rate, premium=premium), None
        if product.category in FEE_RATE:
            charge = max(amount * rate, product.minimum_charge or ZERO)
            return Price(fee_rate=rate, fee=_waive(charge, line.fee_waiver)), None
    raise ValueError(f"unknown category {product.category!r}")


def _waive(charge: Decimal, waiver: Decimal) -> Decimal:
    return fen(charge * (ONE - waiver))


def _credit(line: BundleLine, rate: Decimal, amount: Decimal, tenor: int | None):
    method = line.product.repayment_method
    scheduled = tenor is not None and takes_schedule(line)
    if method == RepaymentMethod.INTEREST_FREE:
        price = Price(annual_rate=ZERO, fee_rate=rate)
        fee = _waive(amount * rate, line.fee_waiver)  # the fee of each period
        rows = schedule(method, amount, tenor, fee_per_period=fee) if scheduled else None
        return price, rows
    rows = schedule(method, amount, tenor, annual_rate=rate) if scheduled else None
    return Price(annual_rate=rate), rows


def reward_for(terms: RewardTerms, amount: Decimal) -> Reward:
    """The customer's reward for taking the offer on ``amount``."""
    with localcontext(CONTEXT):
        if terms.kind == "cashback":
            if terms.rate is not None:
                earned = amount * terms.rate
                if terms.cap is not None:
                    earned = min(earned, terms.cap)
                return Reward("cashback", amount=fen(earned), description=terms.description)
            return Reward("cashback", amount=fen(terms.amount or ZERO), description=terms.description)
        if terms.kind == "points":
            points = whole_down(amount * (terms.rate or ZERO))
            if terms.cap is not None:
                points = min(points, whole_down(terms.cap))
            return Reward("points", points=points, description=terms.description)
        if terms.kind == "coupon":
            return Reward("coupon", amount=fen(terms.amount or ZERO), description=terms.description)
    raise ValueError(f"unknown reward kind {terms.kind!r}")
