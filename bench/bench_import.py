"""A staff import of a 100,000-row CSV file (stream, check every row, insert all or nothing)
vs psycopg ``COPY`` of the same file into the ledger table. PostgreSQL. Rows per second are
printed."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta

from django.core.files.base import ContentFile
from django.db import connection

from bench.harness import Benchmark

from ._revenue import note, truncate_revenue, world

ROWS = 100_000
ROUNDS = int(os.environ.get("BENCH_IMPORT_ROUNDS", "2"))
WARMUP = int(os.environ.get("BENCH_IMPORT_WARMUP", "1"))
state: dict = {}
EMPTY = '""'  # an empty string, not NULL, in COPY's CSV format
ZEROS = "0" * 64


def _csv(tag: str, *, for_copy: bool) -> str:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    p, s, pr = state["partner"], state["scenario"], state["product"]
    lines = [] if for_copy else ["external_id,scenario,product,kind,amount,currency,occurred_at,refund_of"]
    for i in range(ROWS):
        at = (start + timedelta(seconds=i * 7)).isoformat()
        refund = i % 10 == 0 and i > 0  # every tenth row refunds part of the sale before it
        kind = "refund" if refund else "sale"
        amount = "1.00" if refund else f"{(i % 100000) / 100 + 1:.2f}"
        if for_copy:
            lines.append(
                f"{p.pk},{tag}-{i},{s.pk},{s.code},{pr.pk},{kind},{amount},CNY,{at},{at[:10]},{at},{EMPTY},import,{ZEROS}"
            )
        else:
            lines.append(
                f"{tag}-{i},{s.code},{pr.code},{kind},{amount},CNY,{at},{f'{tag}-{i - 1}' if refund else ''}"
            )
    return "\n".join(lines) + "\n"


def setup() -> None:
    from django.contrib.auth import get_user_model

    truncate_revenue()
    partner, scenario, product, agreement = world()
    state.update(partner=partner, scenario=scenario, product=product, actor=agreement.created_by)
    runs = ROUNDS + WARMUP
    state["files"] = [_csv(f"imp{n}", for_copy=False) for n in range(runs)]
    state["copies"] = [_csv(f"cp{n}", for_copy=True) for n in range(runs)]
    state["n"] = {"ours": 0, "copy": 0}
    state["times"] = []
    get_user_model()  # loaded
    note(f"import: {runs} files of {ROWS:,} rows prepared")


def import_file() -> None:
    from revenue.models import TransactionImport
    from revenue.services.imports import transaction_import_run

    n = state["n"]["ours"]
    state["n"]["ours"] += 1
    job = TransactionImport(partner=state["partner"], created_by=state["actor"])
    job.file.save(f"bench-{n}.csv", ContentFile(state["files"][n].encode()), save=True)
    started = time.perf_counter()
    job = transaction_import_run(import_id=job.pk)
    state["times"].append(time.perf_counter() - started)
    assert job.status == "succeeded", job.errors[:3]
    assert job.created == ROWS


def copy_file() -> None:
    n = state["n"]["copy"]
    state["n"]["copy"] += 1
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY revenue_transaction (partner_id, external_id, scenario_id, scenario_code, product_id, kind, amount, "
            "currency, occurred_at, occurred_on, received_at, customer_ref, source, content_hash) FROM STDIN WITH (FORMAT csv)"
        ) as copy,
    ):
        copy.write(state["copies"][n])


def teardown() -> None:
    best = min(state["times"]) if state["times"] else 0
    if best:
        print(f"  import: {ROWS / best:,.0f} rows per second (best run, {best:.1f} s)", file=sys.stderr)
    truncate_revenue()


BENCHMARKS = [
    Benchmark(
        name=f"import a {ROWS:,}-row CSV file vs psycopg COPY of it",
        ours=import_file,
        baseline=copy_file,
        goal=None,
        rounds=ROUNDS,
        warmup=WARMUP,
        setup=setup,
        teardown=teardown,
        requires=("postgresql",),
    ),
]
