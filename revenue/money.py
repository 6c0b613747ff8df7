"""Revenue-share arithmetic: pure functions on Decimals, no database.

One rounding rule, ``ROUND_HALF_UP`` to the fen (``core.fen.to_fen``), applied once per line. A tiered share is the
marginal share of the whole period's basis, rounded once, then split over the lines by
largest-remainder allocation, so the lines always sum exactly to the statement total.

Refunds: a refund line carries a negative gross and a negative share. When refunds exceed
sales in a period the net basis is negative and so is the statement's share: the partner owes
it back (a claw-back netted against the next payout). Sale lines never carry a negative share.
For tiered terms a negative net basis is clawed back at the first band's rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal

from core.fen import FEN, to_fen

ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.000001")
# One limit for a transaction's amount: the open API, file imports (both through
# ``revenue.services.ledger``) and the database (``transaction_amount_within_limit``) refuse
# more; a product's own ``max_amount`` may be lower.
TRANSACTION_AMOUNT_MAX = Decimal("100000000.00")


def tiered_share_exact(basis: Decimal, tiers: Sequence[Mapping]) -> Decimal:
    """The marginal share of ``basis`` (unrounded): each band's rate applies to the part of the
    basis inside that band. ``tiers`` are ``{"up_to": Decimal|None, "rate": Decimal}`` in order,
    the last ``up_to`` None. A negative basis is clawed back at the first band's rate."""
    if basis <= 0:
        return basis * Decimal(tiers[0]["rate"])
    share = Decimal(0)
    lower = Decimal(0)
    for tier in tiers:
        upper = tier["up_to"]
        top = basis if upper is None else min(basis, Decimal(upper))
        if top > lower:
            share += (top - lower) * Decimal(tier["rate"])
        if upper is None or basis <= Decimal(upper):
            break
        lower = Decimal(upper)
    return share


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` (in fen) over ``weights`` in proportion, exactly: every part is floored
    to the fen and the remaining fen go one each to the parts with the largest remainders
    (ties: the earlier part). Weights may be negative (refund lines); their sum must not be
    zero unless ``total`` is zero."""
    if not weights:
        if total != 0:
            raise ValueError("cannot allocate a non-zero total over no lines")
        return []
    weight_sum = sum(weights, Decimal(0))
    if weight_sum == 0:
        if total != 0:
            raise ValueError("cannot allocate a non-zero total over weights summing to zero")
        return [ZERO for _ in weights]
    raw = [total * w / weight_sum for w in weights]
    floors = [r.quantize(FEN, rounding=ROUND_FLOOR) for r in raw]
    left = int(((total - sum(floors, Decimal(0))) / FEN).to_integral_value())
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += FEN
    return floors


def line_shares(
    *,
    model: str,
    terms: Mapping,
    lines: Sequence[tuple[str, int, Decimal]],
    base_basis: Decimal = ZERO,
    base_share: Decimal = ZERO,
) -> list[Decimal]:
    """The share of each ``(kind, transaction_count, signed_gross)`` line.

    ``percentage``: the rate times each line's gross, rounded per line.
    ``fixed_per_transaction``: the amount per sale, reversed per refund.
    ``tiered``: the marginal share of the period's whole basis (``base_basis``, what the period
    already settled, plus these lines), minus ``base_share`` already paid for the period,
    allocated to the lines by their gross.
    """
    if model == "percentage":
        rate = Decimal(terms["rate"])
        return [to_fen(gross * rate) for _kind, _count, gross in lines]
    if model == "fixed_per_transaction":
        amount = Decimal(terms["amount"])
        return [to_fen(amount * count * (-1 if kind == "refund" else 1)) for kind, count, _gross in lines]
    if model == "tiered":
        added = sum((gross for _kind, _count, gross in lines), Decimal(0))
        total = to_fen(tiered_share_exact(base_basis + added, terms["tiers"])) - base_share
        if added == 0:
            # Sales and refunds cancel out: nothing to split by gross; any change of share
            # (none for a zero net) goes to the first line.
            shares = [ZERO for _ in lines]
            if lines:
                shares[0] = total
            return shares
        return allocate(total, [gross for _kind, _count, gross in lines])
    raise ValueError(f"unknown agreement model {model!r}")
