"""Ingesting 100,000 transactions through ``POST /api/v1/transactions/`` (100 requests of 1000,
key authentication and all) vs psycopg ``COPY`` of the same rows into the ledger table; and a
replay of the same 100,000 (all duplicates, no new row) vs a fresh ingest. PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client, override_settings

from bench.harness import Benchmark

from ._revenue import note, truncate_revenue, verified_documents, world

TOTAL = 100_000
BATCH = 1000
ROUNDS = 2
WARMUP = 1
state: dict = {}
UNLIMITED = override_settings(API_RATE_BURST=(10**9, 1), API_RATE_SUSTAINED=(10**9, 3600))


def _items(tag: str) -> list[dict]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "external_id": f"{tag}-{i}",
            "scenario": state["scenario"].code,
            "product": state["product"].code,
            "kind": "refund" if refund(i) else "sale",
            "amount": "1.00" if refund(i) else f"{(i % 100000) / 100 + 1:.2f}",
            "currency": "CNY",
            "occurred_at": (start + timedelta(seconds=i * 7)).isoformat(),
            **({"refund_of": f"{tag}-{i - 1}"} if refund(i) else {}),
        }
        for i in range(TOTAL)
    ]


def refund(i: int) -> bool:
    """Every tenth row refunds part of the sale just before it."""
    return i % 10 == 0 and i > 0


def _bodies(tag: str) -> list[str]:
    items = _items(tag)
    return [json.dumps({"transactions": items[i : i + BATCH]}) for i in range(0, TOTAL, BATCH)]


def _copy_rows(tag: str) -> list[tuple]:
    """The same transactions as ``INSERT_COLUMNS`` tuples: a ``LedgerRow`` and ``late``."""
    from revenue.services.ledger import LedgerRow

    now = datetime.now(UTC)
    p, s, pr = state["partner"], state["scenario"], state["product"]
    return [
        (
            *LedgerRow(
                partner_id=p.pk,
                external_id=item["external_id"],
                scenario_id=s.pk,
                scenario_code=s.code,
                product_id=pr.pk,
                kind=item["kind"],
                amount=item["amount"],
                currency="CNY",
                occurred_at=item["occurred_at"],
                occurred_on=item["occurred_at"][:10],
                received_at=now,
                customer_ref="",
                source="api",
                refund_of_id=None,
                content_hash="0" * 64,
                offer_id="",
                offer_quoted_at=None,
            ),
            False,  # late
        )
        for item in _items(tag)
    ]


def setup() -> None:
    from partners.services.keys import api_key_issue

    truncate_revenue()
    partner, scenario, product, agreement = world()
    verified_documents(partner, agreement.approved_by)
    state.update(partner=partner, scenario=scenario, product=product)
    key = api_key_issue(
        partner=partner, actor=None, name="bench", scopes=("transactions", "read"), channel="erp"
    )
    state["auth"] = {"HTTP_AUTHORIZATION": f"Api-Key {key.key}"}
    runs = ROUNDS + WARMUP
    state["fresh"] = [_bodies(f"api{n}") for n in range(2 * runs)]  # the ingest and the replay benchmarks
    state["copy"] = [_copy_rows(f"copy{n}") for n in range(runs)]
    state["replay"] = _bodies("replayed")
    state["counters"] = {"fresh": 0, "copy": 0}
    UNLIMITED.enable()
    _post_all(state["replay"], expect=201)  # stored once; replayed from then on
    with connection.cursor() as cursor:
        # Statistics as autovacuum keeps them (migration 0004: after every 100,000 rows).
        cursor.execute("ANALYZE revenue_transaction")
    note(f"ingest: {2 * runs} fresh sets and one replay set of {TOTAL:,} transactions prepared")


def teardown() -> None:
    UNLIMITED.disable()
    truncate_revenue()


def _post_all(bodies: list[str], *, expect: int) -> None:
    client = Client()
    for body in bodies:
        response = client.post(
            "/api/v1/transactions/", body, content_type="application/json", **state["auth"]
        )
        assert response.status_code == expect, response.content[:300]


def ingest_fresh() -> None:
    n = state["counters"]["fresh"]
    state["counters"]["fresh"] += 1
    _post_all(state["fresh"][n], expect=201)


def replay() -> None:
    before = _count()
    _post_all(state["replay"], expect=200)
    assert _count() == before


def _count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM revenue_transaction")
        return cursor.fetchone()[0]


def copy_rows() -> None:
    from revenue.services.ledger import INSERT_COLUMNS

    n = state["counters"]["copy"]
    state["counters"]["copy"] += 1
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY revenue_transaction ({', '.join(INSERT_COLUMNS)}) FROM STDIN") as copy:
            for row in state["copy"][n]:
                copy.write_row(row)


BENCHMARKS = [
    Benchmark(
        name=f"POST transactions {TOTAL:,} (100×{BATCH}) vs psycopg COPY",
        ours=ingest_fresh,
        baseline=copy_rows,
        goal=3.0,
        rounds=ROUNDS,
        warmup=WARMUP,
        setup=setup,
        teardown=teardown,
        requires=("postgresql",),
    ),
    Benchmark(
        name=f"replay of the same {TOTAL:,} (all duplicates) vs a fresh ingest",
        ours=replay,
        baseline=ingest_fresh,
        goal=1.0,
        rounds=ROUNDS,
        warmup=WARMUP,
        setup=setup,
        teardown=teardown,
        requires=("postgresql",),
    ),
]
