"""The annualised rate (APR) of an offer's schedule, and the ceiling it must keep.

PBoC Announcement [2021] No. 3: every loan offer states its annualised rate, computed from the
cash flows the customer actually has. The customer receives ``amount`` at the start and pays
each schedule row's ``payment`` a month apart (a bullet's single repayment at maturity, month
``tenor``); the APR is that cash flow's monthly internal rate of return × 12
(``products.terms.annualised_rate`` says why nominally), stated to 6 places half up. Fen
rounding is in the cash flows, so the APR is the schedule's real rate: 300.00 at a nominal 36 %
costs 36.015 %, a flat fee of 0.8 % a month 17.3 % a year.

The product's ceiling applies to the stated APR (``products.terms.apr_ceiling``): an offer whose
APR would be above it is not made. ``worst_apr`` finds the highest APR a bundle item can reach,
for the forms that configure one.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext

from core.fen import FEN, to_fen
from products.terms import RepaymentMethod, annualised_rate, apr_ceiling

from .money import CONTEXT, ONE, TWELVE, ZERO
from .schedules import minimum_amount, schedule
from .types import ProductTerms, ScheduleRow

# The amounts ``worst_apr`` tries per tenor: fen rounding weighs most on the smallest loans, so
# every fen of the first yuan above the smallest amount, then a few orders of magnitude up to
# the largest.
_FEN_STEPS = 100
_SCALES = (2, 3, 5, 10, 20, 50, 100, 1000, 10000)


def cash_flows(method: str, rows: Iterable[ScheduleRow], tenor: int) -> list[tuple[int, Decimal]]:
    """The customer's repayments as ``(month, payment)``: one a month, or a bullet's one at
    maturity (its single row is period 1 of 1, paid in month ``tenor``)."""
    if method == RepaymentMethod.BULLET:
        return [(tenor, sum((row.payment for row in rows), ZERO))]
    return [(row.period, row.payment) for row in rows]


def schedule_apr(
    method: str, amount: Decimal, rows: tuple[ScheduleRow, ...], tenor: int, *, guess: Decimal
) -> Decimal:
    """The stated APR (6 places, half up) of a loan of ``amount`` repaid by ``rows``; ``guess``
    is a monthly rate near the answer (it only saves Newton steps)."""
    return annualised_rate(amount, cash_flows(method, rows, tenor), guess=guess)


def product_apr_ceiling(product: ProductTerms) -> Decimal:
    return apr_ceiling(product.category, product.repayment_method, product.rate_ceiling)


def credit_schedule(
    product: ProductTerms, rate: Decimal, amount: Decimal, tenor: int, fee_waiver: Decimal
) -> tuple[tuple[ScheduleRow, ...], Decimal]:
    """The schedule of ``product`` priced at ``rate`` and its stated APR."""
    method = product.repayment_method
    with localcontext(CONTEXT):
        if method == RepaymentMethod.INTEREST_FREE:
            fee = fee_per_period(amount, rate, fee_waiver)
            rows = schedule(method, amount, tenor, fee_per_period=fee)
            # A flat fee F on amount A costs about 2·F/A·n/(n + 1) a month.
            guess = 2 * fee / amount * tenor / (tenor + 1)
        else:
            rows = schedule(method, amount, tenor, annual_rate=rate)
            guess = rate / TWELVE
        return rows, schedule_apr(method, amount, rows, tenor, guess=guess)


def fee_per_period(amount: Decimal, monthly_fee: Decimal, fee_waiver: Decimal) -> Decimal:
    """An interest-free installment's fee each month: the fee rate of the amount, less the
    waived share, half up to the fen."""
    with localcontext(CONTEXT):
        return to_fen(amount * monthly_fee * (ONE - fee_waiver))


def worst_apr(
    product: ProductTerms, rate: Decimal, *, fee_waiver: Decimal = ZERO
) -> tuple[Decimal, Decimal, int] | None:
    """``(apr, amount, tenor)``: the highest stated APR of ``product`` priced at ``rate`` over
    its tenors and a sample of its amounts (``_FEN_STEPS``, ``_SCALES``), or ``None`` for a
    product without a schedule. A sample, not a proof: the engine checks every offer anyway."""
    method = product.repayment_method
    if not method or not product.tenor_months:
        return None
    worst: tuple[Decimal, Decimal, int] | None = None
    for tenor in product.tenor_months:
        lowest = max(product.min_amount or FEN, minimum_amount(method, tenor))
        highest = product.max_amount
        if highest is not None and highest < lowest:
            continue  # no amount of the range can be repaid over this tenor
        amounts = {lowest + FEN * step for step in range(_FEN_STEPS)} | {lowest * s for s in _SCALES}
        if highest is not None:
            amounts = {a for a in amounts if a <= highest} | {highest}
        for amount in sorted(amounts):
            _rows, apr = credit_schedule(product, rate, amount, tenor, fee_waiver)
            if worst is None or apr > worst[0]:
                worst = (apr, amount, tenor)
    return worst
