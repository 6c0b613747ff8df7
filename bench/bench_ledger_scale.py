"""The ledger at scale: the same work on a ledger of 10,000,000 rows and on one of 1,000,000,
side by side in one run (PostgreSQL, two databases).

Both databases hold the measured month (January 2026: ``BENCH_LEDGER_MONTH_ROWS`` transactions
of one partner, default 1,000,000) and a "pages" partner with a year of small settled months
(2025: twelve statements). The large one adds filler up to ``BENCH_LEDGER_ROWS`` (default
10,000,000): twenty partners over fourteen months, their 2025 settled, and the measured
partner's own February and March around the month. Measured:

* settling the month (``statement_generate``, the settlement task's own code, inline) at
  10M vs at 1M (goal 1.2);
* ingesting 100,000 through ``POST /api/v1/transactions/`` (100×1000) vs psycopg ``COPY`` of
  the same rows, both into the 10M ledger (goal 3);
* the partner dashboard and the statement list (Django test client, the real views) at 10M vs
  1M (goal 1.5), each with the same query count on both sides (asserted).

Settling runs in a transaction rolled back afterwards; the ingested rows (each request commits,
as in production; new external ids each round) are deleted after the benchmark with the
ledger's triggers off for that statement. So the databases are kept between runs: ``{prefix}_{rows}`` (prefix
``BENCH_LEDGER_DB_PREFIX``, default the benchmark database's name and ``_scale``) is reused when
its recorded build matches, else built again (``BENCH_LEDGER_REBUILD=1`` forces it). Building
10M rows takes several minutes (rows generated in the server, indexes built after the load);
drop them with ``DROP DATABASE`` when done. ``BENCH_LEDGER_ROWS=2000000
BENCH_LEDGER_MONTH_ROWS=200000`` is a small version of the same comparison.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta

from django.db import connection, connections, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from bench.harness import Benchmark

from ._revenue import note, verified_documents, world

ROWS = int(os.environ.get("BENCH_LEDGER_ROWS", "10000000"))
MONTH_ROWS = int(os.environ.get("BENCH_LEDGER_MONTH_ROWS", "1000000"))
SMALL_ROWS = MONTH_ROWS  # the small ledger: the measured month (and the pages partner's year)
PAGE_ROWS_PER_MONTH = 2000
FILLERS = 20
INGEST = 100_000
INGEST_ROUNDS = 3
BATCH = 1000
MONTH = (date(2026, 1, 1), date(2026, 1, 31))
# What a cached database was built with: a different value rebuilds it.
BUILD = {"version": 1, "month": MONTH_ROWS, "page": PAGE_ROWS_PER_MONTH, "fillers": FILLERS}
UNLIMITED = override_settings(API_RATE_BURST=(10**9, 1), API_RATE_SUSTAINED=(10**9, 3600))

state: dict = {"wrappers": {}, "default": None}


# --------------------------------------------------------------------------------------
# The two databases
# --------------------------------------------------------------------------------------
def _prefix() -> str:
    return os.environ.get("BENCH_LEDGER_DB_PREFIX") or f"{connections.settings['default']['NAME']}_scale"


def _alias(rows: int) -> str:
    return f"ledger_{rows}"


def _database(rows: int) -> str:
    return f"{_prefix()}_{rows}"


def _use(side: str) -> None:
    """Point the ``default`` connection (what the views and services use) at one database."""
    connections["default"] = state["wrappers"][side]


def _register(rows: int) -> str:
    alias = _alias(rows)
    connections.settings[alias] = {**connections.settings["default"], "NAME": _database(rows)}
    return alias


def _exists(name: str) -> bool:
    with state["default"].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _built(alias: str, rows: int) -> bool:
    spec = json.dumps({**BUILD, "rows": rows}, sort_keys=True)
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT spec FROM bench_ledger_build")
            row = cursor.fetchone()
    except Exception:  # noqa: BLE001 - no table: not built (or half built)
        connections[alias].close()
        return False
    return row is not None and row[0] == spec


def _prepare(rows: int) -> str:
    """The database of a ledger of ``rows``: reused when built as now asked, else built."""
    alias = _register(rows)
    name = _database(rows)
    if os.environ.get("BENCH_LEDGER_REBUILD") != "1" and _exists(name) and _built(alias, rows):
        note(f"ledger scale: reusing {name} (migrating it)")
        from django.core.management import call_command

        state["wrappers"]["build"] = connections[alias]
        _use("build")
        try:
            call_command("migrate", verbosity=0, interactive=False)
        finally:
            connections["default"] = state["default"]
        return alias
    connections[alias].close()
    with state["default"].cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    from django.core.management import call_command

    state["wrappers"]["build"] = connections[alias]
    _use("build")  # migrations and the set-up write through ``default``
    try:
        call_command("migrate", verbosity=0, interactive=False)
        _build(rows)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_ledger_build (spec text)")
            cursor.execute(
                "INSERT INTO bench_ledger_build VALUES (%s)",
                [json.dumps({**BUILD, "rows": rows}, sort_keys=True)],
            )
    finally:
        connections["default"] = state["default"]
    note(f"ledger scale: built {name} ({rows:,} rows) in {time.perf_counter() - started:.0f} s")
    return alias


def _build(rows: int) -> None:
    """Partners first, in the same order in both databases (the same ids on both sides)."""
    from partners.models import Membership
    from portal.models import User

    settle = world("ledger-month", effective_from=date(2025, 1, 1))
    pages = world("ledger-pages", effective_from=date(2025, 1, 1))
    verified_documents(settle[0], settle[3].approved_by)
    user = User.objects.create_user(email="bench-ledger@partner.example", password="x-bench-pass-1")
    Membership.objects.create(user=user, partner=pages[0], role="owner")
    fillers = [world(f"ledger-fill-{n:02d}", effective_from=date(2025, 1, 1)) for n in range(FILLERS)]
    indexes = _drop_indexes()
    _generate(settle, "m", MONTH_ROWS, datetime(2026, 1, 1), days=31)
    for month in range(1, 13):
        start = datetime(2025, month, 1)
        _generate(pages, f"p{month:02d}", PAGE_ROWS_PER_MONTH, start, days=28)
    extra = rows - MONTH_ROWS - 12 * PAGE_ROWS_PER_MONTH
    if extra > 0:
        # The measured partner's next two months (the range scan's neighbours), then the filler.
        around = min(extra // 4, 2 * MONTH_ROWS)
        _generate(settle, "a", around, datetime(2026, 2, 1), days=59)
        per = (extra - around) // FILLERS
        for n, filler in enumerate(fillers):
            _generate(filler, f"f{n}", per, datetime(2025, 1, 1), days=424)  # 2025-01 .. 2026-02
    note("ledger scale: rows loaded; building the indexes")
    with connection.cursor() as cursor:
        for sql in indexes:
            cursor.execute(sql)
        cursor.execute("VACUUM ANALYZE revenue_transaction")
    # Settled history: the pages partner's 2025 and, on the large side, the filler's 2025.
    from revenue.periods import calendar_period
    from revenue.services import statement_generate

    for _partner, _scenario, _product, agreement in [pages, *(fillers if extra > 0 else [])]:
        for month in range(1, 13):
            statement_generate(
                agreement_id=agreement.pk, period=calendar_period("monthly", date(2025, month, 1))
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _drop_indexes() -> list[str]:
    """Drop the ledger's indexes that back no constraint; their ``CREATE INDEX`` statements."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'revenue_transaction' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )
        found = cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def _generate(the_world, tag: str, rows: int, start: datetime, *, days: int) -> None:
    """``rows`` sales (every tenth a refund without a named sale) of one partner from ``start``
    (Asia/Shanghai) over ``days``, generated in the server."""
    partner, scenario, product, _agreement = the_world
    seconds = days * 86400
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO revenue_transaction (partner_id, external_id, scenario_id, scenario_code, product_id, kind,
                amount, currency, occurred_at, occurred_on, received_at, customer_ref, source, content_hash)
            SELECT %s, %s || i, %s, %s, %s, CASE WHEN i %% 10 = 0 THEN 'refund' ELSE 'sale' END,
                (i %% 100000) / 100.0 + 1, 'CNY', t, (t AT TIME ZONE 'Asia/Shanghai')::date, t + interval '1 hour',
                '', 'import', md5(i::text)
            FROM generate_series(1, %s) AS i,
                LATERAL (SELECT (%s::timestamp AT TIME ZONE 'Asia/Shanghai')
                    + (((i::bigint * 7919) %% %s) * interval '1 second') AS t) x
            """,
            [partner.pk, f"{tag}-", scenario.pk, scenario.code, product.pk, rows, start, seconds],
        )


# --------------------------------------------------------------------------------------
# Set-up and the measured work
# --------------------------------------------------------------------------------------
def setup() -> None:
    if "default" not in state["wrappers"]:  # the benchmarks share one set-up
        _prepare_all()
    UNLIMITED.enable()


def _prepare_all() -> None:
    state["default"] = connections["default"]
    big, small = _prepare(ROWS), _prepare(SMALL_ROWS)
    state["wrappers"].update(big=connections[big], small=connections[small], default=state["default"])
    from partners.models import Partner
    from partners.services.keys import api_key_issue
    from portal.models import User
    from revenue.models import Agreement

    for side in ("big", "small"):
        _use(side)
        settle = Partner.objects.get(slug="ledger-month")
        state[side] = {
            "partner": settle,
            "agreement": Agreement.objects.get(partner=settle).pk,
            "client": Client(),
        }
        state[side]["client"].force_login(User.objects.get(email="bench-ledger@partner.example"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM revenue_transaction")
            note(f"ledger scale: {side} side {cursor.fetchone()[0]:,} ledger rows")
    # Built in the same order: the same ids on both sides (the ingested rows name them).
    assert state["big"]["partner"].pk == state["small"]["partner"].pk
    state["auth"] = {}
    for side in ("small", "big"):
        _use(side)
        key = api_key_issue(
            partner=state[side]["partner"],
            actor=None,
            name="bench-scale",
            scopes=("transactions", "read"),
            channel="erp",
        )
        state["auth"][side] = {"HTTP_AUTHORIZATION": f"Api-Key {key.key}"}
        _ingested_remove(side)  # left by a run that stopped half-way
    _ingest_rows()
    if os.environ.get("BENCH_LEDGER_EXPLAIN") == "1":
        _explain("big")
        _explain("small")
    counts = {}
    for page in ("/portal/", "/portal/statements/"):
        for side in ("big", "small"):
            _use(side)
            with CaptureQueriesContext(connection) as ctx:
                response = state[side]["client"].get(page)
                assert response.status_code == 200, (page, response.status_code)
            counts[page, side] = len(ctx.captured_queries)
        note(f"ledger scale: {page} {counts[page, 'big']} queries at {ROWS:,}, {counts[page, 'small']} at 1x")
        assert counts[page, "big"] == counts[page, "small"], f"{page}: query counts differ between sizes"
    _use("default")


def teardown() -> None:
    UNLIMITED.disable()
    for side in ("big", "small"):
        if state.get("next", {}).get(side, {}).get("copy"):
            _ingested_remove(side)
            state["next"][side] = {"ingest": 0, "copy": 0}
    if state.get("default") is not None:
        connections["default"] = state["default"]


def _settle(side: str):
    def run() -> None:
        from revenue.periods import Period
        from revenue.services import statement_generate

        _use(side)
        with transaction.atomic():
            result = statement_generate(agreement_id=state[side]["agreement"], period=Period(*MONTH))
            assert result.created, result
            assert result.transactions == MONTH_ROWS, result
            transaction.set_rollback(True)  # the same month again next round

    return run


START = datetime(2026, 4, 1, tzinfo=UTC)  # a month nobody settled: no row is late


def _ingest_rows() -> None:
    """One set of 100,000 per round and side (new external ids each time: each request commits,
    as in production; ``_ingested_remove`` takes them out of the kept database afterwards)."""
    from products.models import Product
    from revenue.models import Agreement
    from revenue.services.ledger import LedgerRow

    partner = state["big"]["partner"]
    scenario = Agreement.objects.select_related("scenario").get(partner=partner).scenario
    product = Product.objects.get(code="bench-product")
    now = datetime.now(UTC)
    state["bodies"], state["copy"] = [], []
    for n in range(INGEST_ROUNDS + 1):
        items, rows = [], []
        for i in range(INGEST):
            occurred = START + timedelta(seconds=i * 7)
            refund = i % 10 == 0 and i > 0
            item = {
                "external_id": f"ingest{n}-{i}", "scenario": scenario.code, "product": product.code,
                "kind": "refund" if refund else "sale",
                "amount": "1.00" if refund else f"{i % 100000 / 100 + 1:.2f}", "currency": "CNY",
                "occurred_at": occurred.isoformat(), **({"refund_of": f"ingest{n}-{i - 1}"} if refund else {}),
            }  # fmt: skip
            items.append(item)
            row = LedgerRow(
                partner_id=partner.pk, external_id=f"copy{n}-{i}", scenario_id=scenario.pk,
                scenario_code=scenario.code, product_id=product.pk, kind=item["kind"], amount=item["amount"],
                currency="CNY", occurred_at=occurred, occurred_on=occurred.date(), received_at=now,
                customer_ref="", source="api", refund_of_id=None, content_hash="0" * 64, offer_id="",
                offer_quoted_at=None,
            )  # fmt: skip
            rows.append((*row, False))
        state["bodies"].append(
            [json.dumps({"transactions": items[i : i + BATCH]}) for i in range(0, INGEST, BATCH)]
        )
        state["copy"].append(rows)
    state["next"] = {side: {"ingest": 0, "copy": 0} for side in ("big", "small")}


def _ingested_remove(side: str) -> None:
    """Take the ingested rows (April 2026, the measured partner) out of the kept database: the
    ledger's triggers refuse a DELETE, so they are off for this session's statement only."""
    _use(side)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(
                "DELETE FROM revenue_transaction WHERE partner_id = %s AND occurred_on >= %s",
                [state[side]["partner"].pk, START.date()],
            )
            removed = cursor.rowcount
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
        if removed:
            cursor.execute("VACUUM ANALYZE revenue_transaction")
            note(f"ledger scale: {removed:,} ingested rows removed")


def _ingest(side: str):
    def run() -> None:
        _use(side)
        n = state["next"][side]["ingest"]
        state["next"][side]["ingest"] += 1
        client = Client()
        for body in state["bodies"][n]:
            response = client.post(
                "/api/v1/transactions/", body, content_type="application/json", **state["auth"][side]
            )
            assert response.status_code == 201, response.content[:300]

    return run


def _copy(side: str):
    def run() -> None:
        from revenue.services.ledger import INSERT_COLUMNS

        _use(side)
        n = state["next"][side]["copy"]
        state["next"][side]["copy"] += 1
        sql = f"COPY revenue_transaction ({', '.join(INSERT_COLUMNS)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in state["copy"][n]:
                copy.write_row(row)

    return run


def _page(path: str, side: str):
    def run() -> None:
        _use(side)
        assert state[side]["client"].get(path).status_code == 200

    return run


def _explain(side: str) -> None:
    """The month's sums as settlement reads them, explained (``BENCH_LEDGER_EXPLAIN=1``)."""
    _use(side)
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT scenario_code, product_id, kind, count(*), sum(amount) "
            "FROM revenue_transaction WHERE partner_id = %s AND scenario_code = %s "
            "AND occurred_on BETWEEN %s AND %s GROUP BY 1, 2, 3",
            [state[side]["partner"].pk, f"s-{state[side]['partner'].slug}", *MONTH],
        )
        print(f"--- {side}", *(r[0] for r in cursor.fetchall()), sep="\n", file=sys.stderr)


def _with_setup(bench: Benchmark) -> Benchmark:
    bench.setup = setup
    bench.teardown = teardown
    bench.requires = ("postgresql",)
    return bench


SIZE = f"{ROWS:,} vs {SMALL_ROWS:,}"
BENCHMARKS = [
    _with_setup(
        Benchmark(
            name=f"settle a month of {MONTH_ROWS:,} in ledger {SIZE}",
            ours=_settle("big"),
            baseline=_settle("small"),
            goal=1.2,
            rounds=9,
        )
    ),
    _with_setup(
        Benchmark(
            name=f"POST {INGEST:,} into a ledger of {ROWS:,} vs COPY",
            ours=_ingest("big"),
            baseline=_copy("big"),
            goal=3.0,
            rounds=INGEST_ROUNDS,
        )
    ),
    # Not a goal of its own: the same pair on the small ledger tells what the size adds.
    _with_setup(
        Benchmark(
            name=f"POST {INGEST:,} into a ledger of {SMALL_ROWS:,} vs COPY",
            ours=_ingest("small"),
            baseline=_copy("small"),
            rounds=INGEST_ROUNDS,
        )
    ),
    _with_setup(
        Benchmark(
            name=f"partner dashboard, ledger {SIZE}",
            ours=_page("/portal/", "big"),
            baseline=_page("/portal/", "small"),
            goal=1.5,
            rounds=15,
        )
    ),
    _with_setup(
        Benchmark(
            name=f"statement list, ledger {SIZE}",
            ours=_page("/portal/statements/", "big"),
            baseline=_page("/portal/statements/", "small"),
            goal=1.5,
            rounds=15,
        )
    ),
]
