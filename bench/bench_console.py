"""The staff console at two ledger sizes: the ecosystem dashboard over 1,000,000 transactions
vs the same page over 10,000 (the offer funnel has its own bench: ``bench_funnel``).

Two industries hold the same shape of ecosystem (partners, one scenario with three products,
90 days of offer counts) and differ only in the number of reported transactions; every page is
filtered by its industry. Rows are generated in SQL (``generate_series``) once and kept: the
ledger is append-only, and a rerun finds them in place. The roll-ups are rebuilt in setup, as
the scheduled job does; the pages read them, so both sides should cost the same. Setup also
checks that both sides make the same number of queries.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta

from bench.harness import Benchmark

LARGE, SMALL = 1_000_000, 10_000
PARTNERS = 20
DAYS = 90
START = date(2026, 1, 1)
PERIOD = {"date_from": START.isoformat(), "date_to": (START + timedelta(days=DAYS - 1)).isoformat()}
_state: dict = {}


def _ecosystem(label: str, transactions: int) -> int:
    """Create (once) an industry with partners, a scenario and its ledger; return the industry id."""
    from django.db import connection

    from partners.models import Industry, Partner
    from products.models import Product
    from scenarios.models import BundleItem, OfferQuoteDaily, Scenario

    code = f"bench-console-{label}"
    industry, _ = Industry.objects.get_or_create(code=code, defaults={"name": f"Bench {label}"})
    if Partner.objects.filter(industry=industry).exists():
        return industry.pk
    partners = [
        Partner.objects.create(
            legal_name=f"{code} partner {n} Co., Ltd.",
            display_name=f"{code} {n}",
            slug=f"{code}-{n}",
            credit_code=f"91{label[:1].upper()}{n:015d}"[:18],
            industry=industry,
            status="active",
        )
        for n in range(PARTNERS)
    ]
    scenario = Scenario.objects.create(code=code, name=code, industry=industry, status="published")
    products = [
        Product.objects.create(
            code=f"{code}-p{n}", name=f"{code} product {n}", category="installment", status="active"
        )
        for n in range(3)
    ]
    for n, product in enumerate(products, start=1):
        BundleItem.objects.create(scenario=scenario, product=product, position=n)
    OfferQuoteDaily.objects.bulk_create(
        OfferQuoteDaily(partner=p, scenario=scenario, day=START + timedelta(days=d), quotes=100, offers=200)
        for p in partners
        for d in range(DAYS)
    )
    ids = [p.pk for p in partners]
    product_ids = [p.pk for p in products]
    with connection.cursor() as cursor:
        # Row g falls on day g mod 90, goes to partner (g div 90) mod 20 and product
        # (g div 1800) mod 3, so even the small ledger covers every day, partner and product;
        # every 20th row is a refund, and customers come back (50,000 of them).
        cursor.execute(
            """
            INSERT INTO revenue_transaction (partner_id, external_id, scenario_id, scenario_code, product_id,
                kind, amount, currency, occurred_at, occurred_on, received_at, customer_ref, source, content_hash)
            SELECT (%(partners)s::bigint[])[1 + (g / %(days)s) %% %(n_partners)s], 'bench-' || g, %(scenario)s, %(code)s,
                (%(products)s::bigint[])[1 + (g / (%(days)s * %(n_partners)s)) %% 3],
                CASE WHEN g %% 20 = 0 THEN 'refund' ELSE 'sale' END, 10 + (g %% 1000), 'CNY',
                t, (t AT TIME ZONE 'Asia/Shanghai')::date, t, md5((g %% 50000)::text), 'api', md5(g::text)
            FROM generate_series(1, %(rows)s) AS g,
                LATERAL (SELECT timestamptz '2026-01-01 00:00:00+08'
                         + ((g %% %(days)s) || ' days')::interval + ((g %% 86000) || ' seconds')::interval AS t) AS ts
            """,
            {
                "partners": ids,
                "n_partners": len(ids),
                "scenario": scenario.pk,
                "code": code,
                "products": product_ids,
                "rows": transactions,
                "days": DAYS,
            },
        )
    return industry.pk


def setup() -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from console.services.rollups import transaction_rollup_refresh
    from portal.models import User

    large = _ecosystem("large", LARGE)
    small = _ecosystem("small", SMALL)
    transaction_rollup_refresh(start=START, end=START + timedelta(days=DAYS - 1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _state["mfa"] = settings.STAFF_MFA_REQUIRED
    settings.STAFF_MFA_REQUIRED = False  # the benchmark measures the pages, not the login
    user = User.objects.filter(email="bench-console@bank.example").first() or User.objects.create_superuser(
        email="bench-console@bank.example", password=None
    )
    client = Client()
    client.force_login(user)
    _state.update(client=client, large=large, small=small)
    counts = {}
    for side, industry in (("large", large), ("small", small)):
        for url in ("/staff/",):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url, {**PERIOD, "industry": industry}).status_code == 200
            counts[(side, url)] = len(ctx.captured_queries)
    for url in ("/staff/",):
        print(
            f"{url}: {counts[('large', url)]} queries at 1M, {counts[('small', url)]} at 10k", file=sys.stderr
        )
        assert counts[("large", url)] == counts[("small", url)], "query counts differ between sizes"


def teardown() -> None:
    from django.conf import settings

    settings.STAFF_MFA_REQUIRED = _state.get("mfa", True)


def _page(url: str, side: str):
    def run() -> None:
        response = _state["client"].get(url, {**PERIOD, "industry": _state[side]})
        assert response.status_code == 200

    return run


BENCHMARKS = [
    Benchmark(
        name="console dashboard: 1,000,000 vs 10,000 transactions",
        ours=_page("/staff/", "large"),
        baseline=_page("/staff/", "small"),
        goal=1.5,
        rounds=9,
        setup=setup,
        teardown=teardown,
        requires=("postgresql",),
    ),
]
