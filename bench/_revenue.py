"""Shared set-up of the revenue benchmarks: a partner in a scenario with one product under a
monthly 30 % agreement, and bulk ledger rows generated in PostgreSQL (generate_series, never
the ORM). Teardown empties the revenue tables with TRUNCATE (the ledger's row triggers refuse
DELETE, by design)."""

from __future__ import annotations

import resource
import sys
import uuid
from datetime import date

from django.db import connection

PERIOD = (date(2026, 1, 1), date(2026, 1, 31))


def world(slug: str | None = None, *, effective_from: date = PERIOD[0]):
    """A partner (with an API key when asked) in a published scenario with one product, and a
    monthly percentage agreement from ``effective_from`` (2026-01-01). Direct rows: this is set-up, not the subject."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from partners.models import Industry, Partner
    from products.models import Product
    from revenue.models import Agreement
    from revenue.terms import terms_sha256
    from scenarios.models import BundleItem, Participation, Scenario

    tag = slug or f"bench-{uuid.uuid4().hex[:8]}"
    industry, _ = Industry.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    partner = Partner.objects.create(
        legal_name=f"{tag} Co., Ltd.", display_name=tag, slug=tag, credit_code=_credit_code(), industry=industry,
        status="active",
    )  # fmt: skip
    product = Product.objects.filter(code="bench-product").first() or Product.objects.create(
        code="bench-product", name="Bench product", category="installment", status="active",
        rate_floor="0.01", rate_ceiling="0.2", rate="0.1",
    )  # fmt: skip
    scenario = Scenario.objects.create(code=f"s-{tag}", name=tag, industry=industry, status="published")
    BundleItem.objects.create(scenario=scenario, product=product, position=1)
    Participation.objects.create(
        partner=partner, scenario=scenario, scenario_code=scenario.code, status="active"
    )
    User = get_user_model()
    maker = User.objects.filter(email="bench-maker@bench").first() or User.objects.create_user(
        email="bench-maker@bench", password="x-bench-pass-1", is_staff=True
    )
    checker = User.objects.filter(email="bench-checker@bench").first() or User.objects.create_user(
        email="bench-checker@bench", password="x-bench-pass-1", is_staff=True
    )
    agreement = Agreement(
        partner=partner, scenario=scenario, scenario_code=scenario.code, model="percentage",
        terms={"rate": "0.300000"}, cycle="monthly", effective_from=effective_from, status="active",
        created_by=maker, approved_by=checker, acceptance="before_acceptance", accepted_at=timezone.now(),
    )  # fmt: skip
    # In force only when accepted (the database checks it): the hash of its terms as accepted.
    agreement.terms_sha256 = terms_sha256(agreement)
    agreement.save()
    return partner, scenario, product, agreement


def verified_documents(partner, actor) -> None:
    """The required KYB documents, verified (rows only), so the partner's API keys are accepted."""
    from django.utils import timezone

    from partners.models import PartnerDocument

    PartnerDocument.objects.bulk_create(
        PartnerDocument(
            partner=partner, document_type=t, file=f"kyb/{partner.pk}/{t}.pdf", original_name=f"{t}.pdf",
            content_type="application/pdf", size=100, status=PartnerDocument.Status.VERIFIED, verified_by=actor,
            verified_at=timezone.now(),
        )
        for t in PartnerDocument.REQUIRED_TYPES
    )  # fmt: skip


def _credit_code() -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "91310" + "".join(alphabet[int(c, 16) % 10] for c in uuid.uuid4().hex[:12])
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights, strict=True))
    return body + alphabet[(31 - total % 31) % 31]


def generate_ledger(*, partner, scenario, product, rows: int) -> None:
    """``rows`` sales and refunds spread over January 2026, straight in SQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO revenue_transaction (partner_id, external_id, scenario_id, scenario_code, product_id, kind,
                amount, currency, occurred_at, occurred_on, received_at, customer_ref, source, content_hash)
            SELECT %s, 'g-' || i, %s, %s, %s, CASE WHEN i %% 10 = 0 THEN 'refund' ELSE 'sale' END,
                (i %% 100000) / 100.0 + 1, 'CNY', t, (t AT TIME ZONE 'Asia/Shanghai')::date, now(), '', 'import',
                md5(i::text)
            FROM generate_series(1, %s) AS i,
                LATERAL (SELECT timestamptz '2026-01-01 00:00+08' + ((i %% 2678400) * interval '1 second') AS t) x
            """,
            [partner.pk, scenario.pk, scenario.code, product.pk, rows],
        )


def truncate_revenue() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE revenue_statementline, revenue_statementstatuschange, revenue_transaction, revenue_statement, "
            "revenue_settlementrun, revenue_agreementstatuschange, revenue_historicalagreement, revenue_agreement "
            "CASCADE"
        )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def note(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)
