"""Monthly repayment schedules, exact to the fen.

Rules every schedule keeps:

- The principal parts sum exactly to the amount: the last period takes whatever principal is
  left, so it absorbs the rounding of the periods before it.
- Each period's interest is ``balance × annual rate / 12`` rounded half up to the fen once.
- Every payment is positive and every interest is ≥ 0.
- A schedule of n monthly periods repays at least 1.00 of principal a month on average: the
  amount is at least n yuan (``minimum_amount``). Below that, fen rounding dominates — 1.00 over
  52 months at 6 % would pay 0.01 a month and 1.01 at the end — so such amounts are refused.

Equal installment (等额本息): the level payment is the annuity ``P·r·(1+r)^n / ((1+r)^n − 1)``
with ``r`` = annual rate / 12, rounded half up to the fen; each period's principal is the payment
less the period's interest; the last period repays the balance. Within the minimum amount the
rounded payment can never repay the loan before the last period (its rounding error, compounded
over the tenor, stays below one month's principal), so no period is left empty.

Equal principal (等额本金): principal ``amount / n`` rounded half up each period, the last one
taking the rest; interest on the falling balance.

Interest-free (免息分期): equal principal parts, no interest, a fee every period.

Bullet: one repayment at maturity of the whole principal and ``amount × rate × months / 12``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from core.fen import FEN, to_fen
from products.terms import MAX_TENOR, RATE_CAP, RepaymentMethod

from .money import CONTEXT, ONE, TWELVE, ZERO
from .types import ScheduleRow, schedule_row

MIN_MONTHLY_PRINCIPAL = Decimal("1.00")


def minimum_amount(method: str, months: int) -> Decimal:
    """The smallest amount ``method`` schedules over ``months`` (see the module docstring)."""
    return FEN if method == RepaymentMethod.BULLET else MIN_MONTHLY_PRINCIPAL * months


def _check(amount: Decimal, months: int, annual_rate: Decimal = ZERO, *, method: str = "") -> None:
    if amount != to_fen(amount) or amount <= 0:
        raise ValueError("amount must be positive with at most 2 decimal places")
    if not (1 <= months <= MAX_TENOR):
        raise ValueError(f"months must be between 1 and {MAX_TENOR}")
    if amount < minimum_amount(method, months):
        raise ValueError("amount is below the minimum of 1.00 of principal a month")
    if not (0 <= annual_rate <= RATE_CAP):
        raise ValueError("annual rate must be between 0 and 0.36")


def annuity_payment(amount: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The level monthly payment of an equal-installment loan, rounded half up to the fen."""
    with localcontext(CONTEXT):
        if annual_rate == 0:
            return to_fen(amount / months)
        r = annual_rate / TWELVE
        growth = (ONE + r) ** months
        return to_fen(amount * r * growth / (growth - ONE))


def _annuity_rows(
    amount: Decimal, annual_rate: Decimal, months: int, payment: Decimal
) -> tuple[ScheduleRow, ...]:
    """The rows for a level ``payment``. The hot loop of every quote: ``to_fen`` is written out."""
    rows = []
    balance = amount
    for period in range(1, months):
        interest = (balance * annual_rate / TWELVE).quantize(FEN, ROUND_HALF_UP)
        principal = payment - interest
        balance -= principal
        rows.append(ScheduleRow(period, principal, interest, ZERO, payment))
    # Interest falls with the balance, so when the first principal is not negative none is, and
    # the balance only falls: checking the first period and the last balance covers them all.
    if (rows and rows[0].principal < ZERO) or balance <= ZERO:
        # Cannot happen above the minimum amount (module docstring); refuse, never guess.
        raise ArithmeticError(f"no level payment repays {amount} over {months} months")
    rows.append(schedule_row(months, balance, to_fen(balance * annual_rate / TWELVE)))
    return tuple(rows)


def equal_installment(amount: Decimal, annual_rate: Decimal, months: int) -> tuple[ScheduleRow, ...]:
    """等额本息: equal monthly payments, the last one absorbing the rounding."""
    _check(amount, months, annual_rate, method=RepaymentMethod.EQUAL_INSTALLMENT)
    with localcontext(CONTEXT):
        return _annuity_rows(amount, annual_rate, months, annuity_payment(amount, annual_rate, months))


def level_principal(amount: Decimal, months: int) -> Decimal:
    """The principal of each period but the last: ``amount / months`` rounded half up. With at
    least 1.00 a month, the other periods never take it all: (n − 1)(P/n + 0.005) < P."""
    with localcontext(CONTEXT):
        return to_fen(amount / months)


def equal_principal(amount: Decimal, annual_rate: Decimal, months: int) -> tuple[ScheduleRow, ...]:
    """等额本金: the same principal every month, interest on the falling balance."""
    _check(amount, months, annual_rate, method=RepaymentMethod.EQUAL_PRINCIPAL)
    with localcontext(CONTEXT):
        part = level_principal(amount, months)
        rows = []
        balance = amount
        for period in range(1, months + 1):
            principal = part if period < months else balance
            rows.append(schedule_row(period, principal, to_fen(balance * annual_rate / TWELVE)))
            balance -= principal
        return tuple(rows)


def interest_free(amount: Decimal, fee_per_period: Decimal, months: int) -> tuple[ScheduleRow, ...]:
    """免息分期: the same principal every month, no interest, ``fee_per_period`` each month."""
    _check(amount, months, method=RepaymentMethod.INTEREST_FREE)
    if fee_per_period < 0 or fee_per_period != to_fen(fee_per_period):
        raise ValueError("the fee per period must be a non-negative amount in fen")
    with localcontext(CONTEXT):
        part = level_principal(amount, months)
        last = amount - part * (months - 1)
        return tuple(
            schedule_row(period, part if period < months else last, ZERO, fee_per_period)
            for period in range(1, months + 1)
        )


def bullet(amount: Decimal, annual_rate: Decimal, months: int) -> tuple[ScheduleRow, ...]:
    """Principal and interest in one repayment at maturity (receivables financing)."""
    _check(amount, months, annual_rate, method=RepaymentMethod.BULLET)
    with localcontext(CONTEXT):
        return (schedule_row(1, amount, to_fen(amount * annual_rate * months / TWELVE)),)


def schedule(
    method: str, amount: Decimal, months: int, *, annual_rate: Decimal = ZERO, fee_per_period: Decimal = ZERO
) -> tuple[ScheduleRow, ...]:
    """The schedule of ``method`` (a ``products.terms.RepaymentMethod`` value)."""
    if method == RepaymentMethod.EQUAL_INSTALLMENT:
        return equal_installment(amount, annual_rate, months)
    if method == RepaymentMethod.EQUAL_PRINCIPAL:
        return equal_principal(amount, annual_rate, months)
    if method == RepaymentMethod.INTEREST_FREE:
        return interest_free(amount, fee_per_period, months)
    if method == RepaymentMethod.BULLET:
        return bullet(amount, annual_rate, months)
    raise ValueError(f"unknown repayment method {method!r}")
