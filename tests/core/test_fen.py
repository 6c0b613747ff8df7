"""The one rounding of money (``core.fen.to_fen``): half up to the fen, away from zero on a tie,
whatever the caller's decimal context."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext

import pytest

from core.fen import to_fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("1.005", "1.01"),
        ("1.004999", "1.00"),
        ("-1.005", "-1.01"),
        ("-1.004", "-1.00"),
        ("0.125", "0.13"),
        ("1234.5", "1234.50"),
        ("99999999999.995", "100000000000.00"),
    ],
)
def test_it_rounds_half_up_to_the_fen(value, fen):
    assert str(to_fen(Decimal(value))) == fen


def test_the_callers_rounding_mode_does_not_change_it():
    with localcontext() as context:
        context.rounding = ROUND_DOWN
        assert to_fen(Decimal("2.675")) == Decimal("2.68")
