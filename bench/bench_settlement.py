"""Settling one month of 1,000,000 transactions (link them to a new statement, sum them by
scenario, product and kind, write the lines) vs a single ``SELECT … GROUP BY … SUM`` over the
same rows. PostgreSQL. Peak RSS before and after is printed: it must not grow with the rows."""

from __future__ import annotations

import os

from django.db import connection

from bench.harness import Benchmark

from ._revenue import PERIOD, generate_ledger, note, peak_rss_mb, truncate_revenue, world

ROWS = 1_000_000
# Each run needs a fresh million rows (settling links them for good); fewer on a busy machine.
ROUNDS = int(os.environ.get("BENCH_SETTLE_ROUNDS", "3"))
WARMUP = int(os.environ.get("BENCH_SETTLE_WARMUP", "1"))
state: dict = {"worlds": [], "next_ours": 0, "next_base": 0}


def setup() -> None:
    truncate_revenue()
    # Each settlement consumes its rows (they are linked for good): one dataset per run.
    for _ in range(ROUNDS + WARMUP):
        partner, scenario, product, agreement = world()
        generate_ledger(partner=partner, scenario=scenario, product=product, rows=ROWS)
        state["worlds"].append((partner, agreement))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE revenue_transaction")
    state["rss_before"] = peak_rss_mb()
    note(
        f"settlement: {len(state['worlds'])} datasets of {ROWS:,} rows ready; peak RSS {state['rss_before']:.0f} MB"
    )


def ours() -> None:
    from revenue.periods import Period
    from revenue.services import statement_generate

    _partner, agreement = state["worlds"][state["next_ours"]]
    state["next_ours"] += 1
    result = statement_generate(agreement_id=agreement.pk, period=Period(*PERIOD))
    assert result.created
    assert result.transactions == ROWS


def baseline() -> None:
    partner, _agreement = state["worlds"][state["next_base"]]
    state["next_base"] += 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT scenario_code, product_id, kind, count(*), sum(amount) FROM revenue_transaction "
            "WHERE partner_id = %s AND occurred_on BETWEEN %s AND %s GROUP BY 1, 2, 3",
            [partner.pk, *PERIOD],
        )
        assert sum(row[3] for row in cursor.fetchall()) == ROWS


def teardown() -> None:
    note(f"settlement: peak RSS {state['rss_before']:.0f} MB before, {peak_rss_mb():.0f} MB after settling")
    truncate_revenue()


BENCHMARKS = [
    Benchmark(
        name=f"settle a month of {ROWS:,} transactions vs GROUP BY SUM",
        ours=ours,
        baseline=baseline,
        goal=2.0,
        rounds=ROUNDS,
        warmup=WARMUP,
        setup=setup,
        teardown=teardown,
        requires=("postgresql",),
    ),
]
