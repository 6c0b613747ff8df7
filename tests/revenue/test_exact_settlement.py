"""Settlement gives the same statement, to the fen, on SQLite and on PostgreSQL.

The ledger is made of amounts binary floating point cannot hold (0.10, 0.20, 33 333.33 …)
and a share that lands exactly on half a fen (45 000.405), where a sum a hair short would
round down. The expected figures are worked out by hand with exact decimals; the same test runs
on both databases (``DATABASE_URL``)."""

from __future__ import annotations

from datetime import date

import pytest

from revenue.models import Statement
from revenue.services import settlement_start

from .factories import item, record

pytestmark = pytest.mark.django_db

INSTALLMENT_SALES = ["0.10"] * 7 + ["0.20"] * 3 + ["33333.33"] * 3 + ["49999.99", "0.07"]
COVER_SALES = ["1122.98", "0.01", "0.02"]


def test_settlement_of_a_ledger_floats_get_wrong_is_exact_to_the_fen(partner, agreement):
    january = date(2026, 1, 12)
    record(
        partner,
        *[
            item(amount=a, day=january, external_id=f"i{n}" if n else "first")
            for n, a in enumerate(INSTALLMENT_SALES)
        ],
        *[item(product="trip-cover", amount=a, day=january) for a in COVER_SALES],
        item(kind="refund", amount="0.10", day=date(2026, 1, 20), refund_of="first"),
    )

    settlement_start(through=date(2026, 1, 31), trigger="command")

    statement = Statement.objects.get()
    lines = [
        (line.kind, line.product.code, line.transaction_count, str(line.gross_amount), str(line.share_amount))
        for line in statement.lines.select_related("product").order_by("position")
    ]
    # 30 %: 150 001.35 × 0.3 = 45 000.405 → .41 (half up); 1 123.01 × 0.3 = 336.903.
    assert lines == [
        ("refund", "trip-installment", 1, "-0.10", "-0.03"),
        ("sale", "trip-installment", 15, "150001.35", "45000.41"),
        ("sale", "trip-cover", 3, "1123.01", "336.90"),
    ]
    assert (str(statement.gross_amount), str(statement.share_amount)) == ("151124.26", "45337.28")
    assert statement.transaction_count == 19
