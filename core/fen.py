"""The one rounding of money: ``ROUND_HALF_UP`` to the fen (0.01 yuan).

Every amount the bank computes (a share, an interest, a price) is rounded by ``to_fen``, once
per amount; what comes in is refused rather than rounded (see ``core.api.money_parse``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(value: Decimal) -> Decimal:
    """``value`` rounded half up to the fen: ``1.005`` → ``1.01``, ``-1.005`` → ``-1.01``."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)
