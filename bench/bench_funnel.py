"""The offer funnel at two sizes: the staff console's funnel over the roll-up of 10,000,000
offers vs the same page over 100,000.

The pages read only ``scenarios.OfferFunnelDaily``, so the bench seeds the roll-up, not the raw
log, at the cardinality 10M offers really have: 90 days × 20 partners (10 on version 1, 10 on
version 2 of one scenario) × 3 products × 3 segments × 5 amount bands × 1 channel = 81,000
possible rows. Each combination gets its share of the offers by a skewed weight (product,
segment, band); at 10M every combination is present (about 123 offers a row on average); at
100k most combinations are empty or hold one offer, rounded at random, so the small side has
fewer rows (printed in setup). Taken ≈ 8 % of offers, gross 3,000.00 a taken offer.

Each side is its own scenario code and partners; the page is filtered by the scenario and
broken down by version, so it also draws the two versions side by side. Cross-sell is not on
the page unless asked (its cost follows the number of customers; see docs/insights.md).
Setup checks that both sides make the same number of queries.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta

from bench.harness import Benchmark

LARGE, SMALL = 10_000_000, 100_000
PARTNERS = 20
DAYS = 90
START = date(2026, 1, 1)
PERIOD = {"date_from": START.isoformat(), "date_to": (START + timedelta(days=DAYS - 1)).isoformat()}
_state: dict = {}


def _ecosystem(label: str, offers: int) -> tuple[str, int]:
    """Create (once) partners, two versions of a scenario, products and the roll-up's rows;
    return the scenario code and the number of roll-up rows."""
    from django.db import connection

    from partners.models import Industry, Partner
    from products.models import Product
    from scenarios.models import OfferFunnelDaily, Scenario

    code = f"bench-funnel-{label}"
    industry, _ = Industry.objects.get_or_create(code=code, defaults={"name": f"Bench {label}"})
    versions = list(Scenario.objects.filter(code=code).order_by("version"))
    if versions:
        return code, OfferFunnelDaily.objects.filter(scenario__code=code).count()
    partners = [
        Partner.objects.create(
            legal_name=f"{code} partner {n} Co., Ltd.",
            display_name=f"{code} {n}",
            slug=f"{code}-{n}",
            credit_code=f"92{label[:1].upper()}{n:015d}"[:18],
            industry=industry,
            status="active",
        )
        for n in range(PARTNERS)
    ]
    versions = [
        Scenario.objects.create(code=code, version=v, name=code, industry=industry, status="published")
        for v in (1, 2)
    ]
    products = [
        Product.objects.create(
            code=f"{code}-p{n}", name=f"{code} product {n}", category="installment", status="active"
        ).code
        for n in range(3)
    ]
    per_row = offers / (DAYS * PARTNERS * 3 * 3 * 5)
    with connection.cursor() as cursor:
        # Weights: product 0.5/0.3/0.2, segment standard 0.7 / vip 0.2 / young 0.1, bands
        # 0.1/0.3/0.35/0.2/0.05 (normalised ×45 so the mean weight is 1). The fraction is rounded
        # up or down at random (a hash of the combination), so the small side is sparse.
        cursor.execute(
            """
            INSERT INTO scenarios_offerfunneldaily (day, partner_id, scenario_id, product_code, segment,
                channel, amount_band, offers, taken, gross_amount, reward_cost)
            SELECT day, partner_id, scenario_id, product_code, segment, 'api', band, n, n * 8 / 100,
                (n * 8 / 100) * 3000.00, (n * 8 / 100) * 20.00
            FROM (
                SELECT %(start)s::date + d AS day, (%(partners)s::bigint[])[1 + p] AS partner_id,
                    (%(versions)s::bigint[])[1 + p / 10] AS scenario_id,
                    (%(products)s::text[])[1 + pr] AS product_code,
                    (ARRAY['', 'vip', 'young'])[1 + s] AS segment,
                    (ARRAY['<1k', '1k-5k', '5k-20k', '20k-100k', '100k+'])[1 + b] AS band,
                    floor(%(per_row)s * 45 * (ARRAY[0.5, 0.3, 0.2])[1 + pr] * (ARRAY[0.7, 0.2, 0.1])[1 + s]
                          * (ARRAY[0.1, 0.3, 0.35, 0.2, 0.05])[1 + b]
                          + (abs(hashtext(d || '/' || p || '/' || pr || '/' || s || '/' || b)) %% 1000) / 1000.0
                    )::int AS n
                FROM generate_series(0, %(days)s - 1) d, generate_series(0, %(n_partners)s - 1) p,
                    generate_series(0, 2) pr, generate_series(0, 2) s, generate_series(0, 4) b
            ) combos
            WHERE n > 0
            """,
            {
                "start": START,
                "partners": [p.pk for p in partners],
                "versions": [v.pk for v in versions],
                "products": products,
                "per_row": per_row,
                "days": DAYS,
                "n_partners": PARTNERS,
            },
        )
    return code, OfferFunnelDaily.objects.filter(scenario__code=code).count()


def setup() -> None:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Sum
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portal.models import User
    from scenarios.models import OfferFunnelDaily

    sides = {"large": _ecosystem("large", LARGE), "small": _ecosystem("small", SMALL)}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scenarios_offerfunneldaily")
    for side, (code, rows) in sides.items():
        offers = OfferFunnelDaily.objects.filter(scenario__code=code).aggregate(n=Sum("offers"))["n"]
        print(f"{side}: {offers:,} offers in {rows:,} roll-up rows", file=sys.stderr)
    _state["mfa"] = settings.STAFF_MFA_REQUIRED
    settings.STAFF_MFA_REQUIRED = False  # the benchmark measures the pages, not the login
    user = User.objects.filter(email="bench-funnel@bank.example").first() or User.objects.create_superuser(
        email="bench-funnel@bank.example", password=None
    )
    client = Client()
    client.force_login(user)
    _state.update(client=client, large=sides["large"][0], small=sides["small"][0])
    counts = {}
    for side in ("large", "small"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/staff/funnel/", _params(side)).status_code == 200
        counts[side] = len(ctx.captured_queries)
    print(f"/staff/funnel/: {counts['large']} queries at 10M, {counts['small']} at 100k", file=sys.stderr)
    assert counts["large"] == counts["small"], "query counts differ between sizes"


def teardown() -> None:
    from django.conf import settings

    settings.STAFF_MFA_REQUIRED = _state.get("mfa", True)


def _params(side: str) -> dict:
    return {**PERIOD, "scenario": _state[side], "group_by": "version"}


def _page(side: str):
    def run() -> None:
        response = _state["client"].get("/staff/funnel/", _params(side))
        assert response.status_code == 200

    return run


BENCHMARKS = [
    Benchmark(
        name="console offer funnel: 10,000,000 vs 100,000 offers",
        ours=_page("large"),
        baseline=_page("small"),
        goal=1.5,
        rounds=9,
        setup=setup,
        teardown=teardown,
        requires=("postgresql",),
    ),
]
