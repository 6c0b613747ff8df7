"""Property tests of the share arithmetic and of settlement over any ledger (hypothesis)."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revenue.models import Statement, StatementLine, Transaction
from revenue.money import allocate, line_shares, tiered_share_exact
from revenue.selectors import statement_transactions, with_statement
from revenue.services import settlement_start

from .factories import agreement_in_force, item, record

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
kinds = st.sampled_from(["sale", "refund"])
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("1"), places=6)


@st.composite
def tier_terms(draw):
    bounds = sorted(set(draw(st.lists(amounts, min_size=0, max_size=4))))
    band_rates = draw(st.lists(rates, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    tiers = [{"up_to": b, "rate": r} for b, r in zip(bounds, band_rates, strict=False)]
    tiers.append({"up_to": None, "rate": band_rates[-1]})
    return {"tiers": tiers}


@st.composite
def terms_for(draw, model):
    if model == "percentage":
        return {"rate": draw(rates)}
    if model == "fixed_per_transaction":
        return {"amount": draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50"), places=2))}
    return draw(tier_terms())


lines_strategy = st.lists(st.tuples(kinds, st.integers(1, 50), amounts), min_size=1, max_size=8).map(
    lambda rows: [(k, n, -a if k == "refund" else a) for k, n, a in rows]
)


def reference_marginal(basis: Decimal, tiers) -> Decimal:
    """Band by band, independently of the implementation."""
    if basis <= 0:
        return basis * tiers[0]["rate"]
    total, lower = Decimal(0), Decimal(0)
    for tier in tiers:
        upper = basis if tier["up_to"] is None else min(basis, tier["up_to"])
        if upper > lower:
            total += (upper - lower) * tier["rate"]
        if tier["up_to"] is None or basis <= tier["up_to"]:
            break
        lower = tier["up_to"]
    return total


@given(
    model=st.sampled_from(["percentage", "tiered", "fixed_per_transaction"]),
    data=st.data(),
    lines=lines_strategy,
)
def test_shares_are_fen_exact_and_sales_never_negative(model, data, lines):
    terms = data.draw(terms_for(model))

    shares = line_shares(model=model, terms=terms, lines=lines)

    assert all(s == s.quantize(Decimal("0.01")) for s in shares)
    for (kind, _count, _gross), share in zip(lines, shares, strict=True):
        if kind == "sale":
            assert share >= 0
        else:
            assert share <= 0


@given(terms=tier_terms(), lines=lines_strategy)
def test_tiered_lines_sum_to_the_reference_marginal_share_of_the_period(terms, lines):
    basis = sum(gross for _k, _n, gross in lines)

    shares = line_shares(model="tiered", terms=terms, lines=lines)

    expected = reference_marginal(basis, terms["tiers"]).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert sum(shares) == expected
    assert tiered_share_exact(basis, terms["tiers"]) == reference_marginal(basis, terms["tiers"])


@given(
    total=st.decimals(min_value=Decimal("-9999"), max_value=Decimal("9999"), places=2),
    weights=st.lists(amounts, min_size=1, max_size=10),
)
def test_allocation_is_exact_and_within_a_fen_of_the_proportion(total, weights):
    parts = allocate(total, weights)

    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / weight_sum) < Decimal("0.01")


days = st.integers(min_value=0, max_value=89)
# Within the test products' own maximum (50,000.00).
ledger_amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000.00"), places=2)
ledger = st.lists(
    st.tuples(
        kinds, ledger_amounts, days, st.sampled_from(["trip-installment", "trip-cover"]), st.booleans()
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(model=st.sampled_from(["percentage", "tiered", "fixed_per_transaction"]), data=st.data(), rows=ledger)
def test_statements_and_pending_adjustments_account_for_the_whole_ledger(
    model, data, rows, maker, checker, partner, scenario, joined
):
    try:
        with transaction.atomic():
            _settle_and_check(model, data, rows, maker, checker, partner, scenario)
            raise _Rollback
    except _Rollback:
        pass


class _Rollback(Exception):
    """Undo one example's rows: hypothesis runs many examples in one test database."""


def _settle_and_check(model, data, rows, maker, checker, partner, scenario):
    terms = data.draw(terms_for(model))
    terms = {
        key: (
            [
                {"up_to": None if t["up_to"] is None else str(t["up_to"]), "rate": str(t["rate"])}
                for t in value
            ]
            if key == "tiers"
            else str(value)
        )
        for key, value in terms.items()
    }
    agreement = agreement_in_force(
        maker=maker,
        checker=checker,
        partner=partner,
        scenario=scenario,
        model=model,
        terms=terms,
        effective_from=date(2026, 1, 1),
        cycle="monthly",
    )
    start = date(2026, 1, 1)
    # A refund names its sale: each drawn refund reverses a sale of the same product, day and
    # batch, so both settle in one statement and the refund nets against its basis.
    rows = [
        sale
        for n, (k, a, d, p, late) in enumerate(rows)
        for sale in (
            [("sale", a, d, p, late, f"p-{n}-sale", None), ("refund", a, d, p, late, f"p-{n}", f"p-{n}-sale")]
            if k == "refund"
            else [(k, a, d, p, late, f"p-{n}", None)]
        )
    ]
    # Some transactions arrive after their month was settled: they become adjustments.
    on_time = [r for r in rows if not r[4]]
    late = [r for r in rows if r[4]]
    for batch, through in ((on_time, date(2026, 3, 31)), (late, date(2026, 4, 30))):
        if batch:
            record(
                partner,
                *[
                    item(
                        kind=k,
                        amount=str(a),
                        day=start + timedelta(days=d),
                        product=p,
                        external_id=e,
                        refund_of=r,
                    )
                    for k, a, d, p, _, e, r in batch
                ],
            )
        settlement_start(through=through, trigger="command")

    statements = Statement.objects.filter(agreement=agreement)
    lines = StatementLine.objects.filter(statement__agreement=agreement)
    for statement in statements:
        mine = [line for line in lines if line.statement_id == statement.pk]
        assert statement.share_amount + statement.adjustment_amount == sum(line.share_amount for line in mine)
        assert statement.transaction_count == sum(line.transaction_count for line in mine)
    ledger_total = sum((-a if k == "refund" else a) for k, a, *_rest in rows)
    settled_gross = sum(line.gross_amount for line in lines)
    ledger = with_statement(Transaction.objects.filter(partner=partner))
    pending = sum(t.signed_amount for t in ledger.filter(statement_id__isnull=True))
    assert settled_gross + pending == ledger_total
    assert ledger.filter(statement_id__isnull=True).count() == 0
    # Every transaction is settled by exactly one statement: the statement the ledger names
    # for it is the one whose transactions hold it, and their counts are the statement's.
    named = {t.pk: t.statement_id for t in ledger}
    for statement in statements:
        held = set(statement_transactions(statement).values_list("pk", flat=True))
        assert held == {pk for pk, sid in named.items() if sid == statement.pk}
        assert len(held) == statement.transaction_count
    if model == "tiered":
        # Per month: what was paid (statement plus later adjustments) is the marginal share of the
        # month's whole basis, to the fen.
        for statement in statements:
            basis = statement.gross_amount + sum(
                x.gross_amount for x in lines if x.adjusts_id == statement.pk
            )
            paid = statement.share_amount + sum(x.share_amount for x in lines if x.adjusts_id == statement.pk)
            tiers = [
                {"up_to": None if t["up_to"] is None else Decimal(t["up_to"]), "rate": Decimal(t["rate"])}
                for t in terms["tiers"]
            ]
            assert paid == reference_marginal(basis, tiers).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
