"""Price, schedule and reward of one bundle line for one request (eligibility is checked
first, in ``quote``)."""

from __future__ import annotations

from decimal import Decimal, localcontext

from core.fen import to_fen
from products.terms import CREDIT, FEE_RATE, SAVINGS, Category, RepaymentMethod

from .apr import credit_schedule, product_apr_ceiling
from .money import CONTEXT, ONE, TWELVE, ZERO, rate6, whole_down
from .schedules import minimum_amount
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
            earned = to_fen(amount * rate * tenor / TWELVE) if tenor in product.tenor_months else None
            return Price(annual_rate=rate, expected_return=earned), None
        if product.category == Category.INSURANCE:
            premium = max(to_fen(amount * rate), product.minimum_charge or ZERO)
            return Price(premium_rate=rate, premium=premium), None
        if product.category in FEE_RATE:
            charge = max(amount * rate, product.minimum_charge or ZERO)
            return Price(fee_rate=rate, fee=_waive(charge, line.fee_waiver)), None
    raise ValueError(f"unknown category {product.category!r}")


def _waive(charge: Decimal, waiver: Decimal) -> Decimal:
    return to_fen(charge * (ONE - waiver))


def _credit(line: BundleLine, rate: Decimal, amount: Decimal, tenor: int | None):
    """The price with its APR (``apr``) and, with a tenor, the schedule."""
    product = line.product
    if product.repayment_method == RepaymentMethod.INTEREST_FREE:
        nominal = {"annual_rate": ZERO, "fee_rate": rate}
    else:
        nominal = {"annual_rate": rate}
    if not takes_schedule(line):
        # A credit limit charges the annual rate / 12 a month on the balance drawn: its APR by
        # IRR (monthly rate × 12) is the annual rate itself, whatever is drawn when.
        return Price(**nominal, apr=rate), None
    if tenor is not None:
        rows, apr = credit_schedule(product, rate, amount, tenor, line.fee_waiver)
        return Price(**nominal, apr=apr), rows
    return Price(**nominal, apr=_apr_over_tenors(line, rate, amount)), None


def _apr_over_tenors(line: BundleLine, rate: Decimal, amount: Decimal) -> Decimal | None:
    """Without a tenor the offer stands for each tenor the amount can be repaid over: its APR is
    the highest of those within the ceiling (the others are not offered), or, when none is, the
    lowest (above the ceiling, so ``quote`` leaves the offer out)."""
    product = line.product
    aprs = [
        credit_schedule(product, rate, amount, tenor, line.fee_waiver)[1]
        for tenor in product.tenor_months
        if amount >= minimum_amount(product.repayment_method, tenor)
    ]
    if not aprs:
        return None  # refused before pricing (``quote.line_refusal``)
    ceiling = product_apr_ceiling(product)
    within = [apr for apr in aprs if apr <= ceiling]
    return max(within) if within else min(aprs)


def reward_for(terms: RewardTerms, amount: Decimal) -> Reward:
    """The customer's reward for taking the offer on ``amount``."""
    with localcontext(CONTEXT):
        if terms.kind == "cashback":
            if terms.rate is not None:
                earned = amount * terms.rate
                if terms.cap is not None:
                    earned = min(earned, terms.cap)
                return Reward("cashback", amount=to_fen(earned), description=terms.description)
            return Reward("cashback", amount=to_fen(terms.amount or ZERO), description=terms.description)
        if terms.kind == "points":
            points = whole_down(amount * (terms.rate or ZERO))
            if terms.cap is not None:
                points = min(points, whole_down(terms.cap))
            return Reward("points", points=points, description=terms.description)
        if terms.kind == "coupon":
            return Reward("coupon", amount=to_fen(terms.amount or ZERO), description=terms.description)
    raise ValueError(f"unknown reward kind {terms.kind!r}")
