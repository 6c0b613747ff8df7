"""Money and rate arithmetic of the engine: ``Decimal`` only, ``ROUND_HALF_UP`` at one place per
computation (``core.fen.to_fen`` for money, ``rate6`` for rates)."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal

from core.fen import to_fen

RATE = Decimal("0.000001")
ZERO = Decimal("0.00")
ONE = Decimal(1)
TWELVE = Decimal(12)
# Every engine computation runs in this context, whatever the caller's: 34 digits carry an
# annuity factor (1 + r)^60 and a 5,000,000.00 loan far beyond the fen.
CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)


def rate6(value: Decimal) -> Decimal:
    """Round a rate to 6 places, half up."""
    return value.quantize(RATE, rounding=ROUND_HALF_UP)


def whole_down(value: Decimal) -> int:
    """Whole units, rounding down (points are never given for part of a yuan)."""
    return int(value.to_integral_value(rounding=ROUND_DOWN))


def money_str(value: Decimal) -> str:
    """``Decimal("1234.5")`` as ``"1234.50"`` (never exponent notation). ``str`` of a value
    quantized to 2 (or, in ``rate_str``, 6) places never uses exponent notation and writes what
    ``f"{value:f}"`` does, at a third of the cost: an offer formats ~50 amounts."""
    return str(to_fen(value))


def rate_str(value: Decimal) -> str:
    """``Decimal("0.129")`` as ``"0.129000"``."""
    return str(rate6(value))
