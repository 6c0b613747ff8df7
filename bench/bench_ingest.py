"""Ingesting 100,000 transactions through ``POST /api/v1/transactions/`` (100 requests of 1000,
key authentication and all) vs psycopg ``COPY`` of the same rows into the ledger table; the same
with every sale naming its offer (attributed: checked against an offer log of 100,000 offers,
the COPY carrying the offer columns too); and a replay of the same 100,000 (all duplicates, no
new row) vs a fresh ingest. PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

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


START = datetime(2026, 1, 1, tzinfo=UTC)
# Each sale's offer was quoted this long before it (well inside the attribution window).
OFFER_LEAD = timedelta(hours=1)


def _occurred(i: int) -> datetime:
    return START + timedelta(seconds=i * 7)


def _offer_id(i: int) -> str:
    return f"ofr_bench{i:017d}"  # the shape of a real id: "ofr_" and 22 characters


def _items(tag: str, *, attributed: bool = False) -> list[dict]:
    return [
        {
            "external_id": f"{tag}-{i}",
            "scenario": state["scenario"].code,
            "product": state["product"].code,
            "kind": "refund" if refund(i) else "sale",
            "amount": "1.00" if refund(i) else f"{(i % 100000) / 100 + 1:.2f}",
            "currency": "CNY",
            "occurred_at": _occurred(i).isoformat(),
            **({"refund_of": f"{tag}-{i - 1}"} if refund(i) else {}),
            # A refund carries its sale's offer without naming it.
            **({"offer_id": _offer_id(i)} if attributed and not refund(i) else {}),
        }
        for i in range(TOTAL)
    ]


def refund(i: int) -> bool:
    """Every tenth row refunds part of the sale just before it."""
    return i % 10 == 0 and i > 0


def _bodies(tag: str, *, attributed: bool = False) -> list[str]:
    items = _items(tag, attributed=attributed)
    return [json.dumps({"transactions": items[i : i + BATCH]}) for i in range(0, TOTAL, BATCH)]


def _copy_rows(tag: str, *, attributed: bool = False) -> list[tuple]:
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
                offer_id=_offer_id(i - 1 if refund(i) else i) if attributed else "",
                offer_quoted_at=_occurred(i - 1 if refund(i) else i) - OFFER_LEAD if attributed else None,
            ),
            False,  # late
        )
        for i, item in enumerate(_items(tag))
    ]


def _log_offers() -> None:
    """The offers the attributed sales name, one per sale, in the offer log as its writer
    stores them (COPY into the monthly partitions), then analysed as autovacuum would."""
    from scenarios.services.offer_log import COLUMNS, offer_log_write

    p, s, pr = state["partner"], state["scenario"], state["product"]
    rows = []
    for i in range(TOTAL):
        if refund(i):
            continue
        quoted = _occurred(i) - OFFER_LEAD
        row = {
            "offer_id": _offer_id(i), "quoted_at": quoted, "expires_at": quoted + timedelta(minutes=30),
            "request_id": f"req_bench{i}", "partner_id": p.pk, "key_prefix": "", "channel": "api", "tryout": False,
            "sandbox": False,
            "scenario_id": s.pk, "event": "booking.created", "product_code": pr.code, "category": "installment",
            "segment": "standard", "amount": Decimal("8000.00"), "currency": "CNY", "amount_band": "5k-20k",
            "tenor_months": None, "annual_rate": None, "apr": None, "price": {"annual_rate": "0.100000"},
            "reward": None, "customer_ref": "", "consent_id": "",
        }  # fmt: skip
        rows.append(tuple(row[c] for c in COLUMNS))
    for start in range(0, len(rows), 10_000):
        offer_log_write(rows[start : start + 10_000])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scenarios_offer_log")


def setup(*, attributed: bool = False) -> None:
    from partners.services.keys import api_key_issue

    truncate_revenue()
    _truncate_offer_log()
    partner, scenario, product, agreement = world()
    verified_documents(partner, agreement.approved_by)
    state.update(partner=partner, scenario=scenario, product=product)
    key = api_key_issue(
        partner=partner, actor=None, name="bench", scopes=("transactions", "read"), channel="erp"
    )
    state["auth"] = {"HTTP_AUTHORIZATION": f"Api-Key {key.key}"}
    runs = ROUNDS + WARMUP
    if attributed:
        _log_offers()
    # The ingest and the replay benchmarks (attributed: the ingest only).
    state["fresh"] = [
        _bodies(f"api{n}", attributed=attributed) for n in range(runs if attributed else 2 * runs)
    ]
    state["copy"] = [_copy_rows(f"copy{n}", attributed=attributed) for n in range(runs)]
    state["replay"] = _bodies("replayed")
    state["counters"] = {"fresh": 0, "copy": 0}
    UNLIMITED.enable()
    _post_all(state["replay"], expect=201)  # stored once; replayed from then on
    with connection.cursor() as cursor:
        # Statistics as autovacuum keeps them (migration 0004: after every 100,000 rows).
        cursor.execute("ANALYZE revenue_transaction")
    what = "attributed " if attributed else ""
    note(
        f"ingest: {len(state['fresh'])} fresh {what}sets and one replay set of {TOTAL:,} transactions prepared"
    )


def setup_attributed() -> None:
    setup(attributed=True)


def teardown() -> None:
    UNLIMITED.disable()
    truncate_revenue()
    _truncate_offer_log()


def _truncate_offer_log() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE scenarios_offer_log")  # every partition


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
        name=f"POST transactions {TOTAL:,} attributed vs psycopg COPY",
        ours=ingest_fresh,
        baseline=copy_rows,
        goal=3.0,
        rounds=ROUNDS,
        warmup=WARMUP,
        setup=setup_attributed,
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
