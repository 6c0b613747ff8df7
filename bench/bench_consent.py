"""What a customer's consent costs an offer request: ``offer_quote`` for a known customer with
their consent (checked against the scenario's purposes, read by one indexed query, recorded the
first time only) vs the same quote without customer data.

The goal keeps the consent to one cheap read on top of the request's others: the request path
must stay close to ``GET me/`` (issue 15), so the consent may not add a write per request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bench.harness import Benchmark

QUOTES = 100
AMOUNT = Decimal("8000.00")
PURPOSES = ["offer_personalisation", "credit_pre_assessment"]
_state: dict = {}


def _setup() -> None:
    from partners.models import Industry, Partner
    from products.models import Product
    from scenarios.models import BundleItem, Participation, Scenario
    from scenarios.services import ConsentGiven

    _teardown()
    industry, _ = Industry.objects.get_or_create(code="bench-travel", defaults={"name": "Bench travel"})
    partner = Partner.objects.create(
        legal_name="Bench Consent Co., Ltd.", display_name="Bench consent", slug="bench-consent",
        credit_code="91310000BENCH0002X", industry=industry, status="active",
    )  # fmt: skip
    product = Product.objects.create(
        code="bench-consent-installment", name="Bench", category="installment", status="active",
        rate=Decimal("0.129"), rate_floor=Decimal("0.08"), rate_ceiling=Decimal("0.18"),
        min_amount=Decimal("500"), max_amount=Decimal("500000"), tenor_months=[12],
        repayment_method="equal_installment",
    )  # fmt: skip
    scenario = Scenario.objects.create(
        code="bench-consent", name="Bench", industry=industry, trigger_events=["booking.created"],
        status="published", data_purposes=PURPOSES,
    )  # fmt: skip
    BundleItem.objects.create(scenario=scenario, product=product, position=1)
    Participation.objects.create(
        partner=partner, scenario=scenario, scenario_code=scenario.code, status="active"
    )
    _state["partner"] = partner
    _state["consent"] = ConsentGiven(
        id="cns-bench", purposes=PURPOSES, granted_at=datetime(2026, 1, 5, tzinfo=UTC)
    )


def _teardown() -> None:
    from partners.models import Partner
    from products.models import Product
    from scenarios.models import Consent, OfferQuoteDaily, OfferRecord, Participation, Scenario
    from scenarios.services import offer_log_flush, offer_quote_counts_flush

    offer_quote_counts_flush()
    offer_log_flush()
    Consent.objects.filter(partner__slug="bench-consent").delete()  # its scenario links go with it
    OfferRecord.objects.filter(scenario__code="bench-consent").delete()
    OfferQuoteDaily.objects.filter(scenario__code="bench-consent").delete()
    Participation.objects.filter(scenario_code="bench-consent").delete()
    Scenario.objects.filter(code="bench-consent").delete()
    Product.objects.filter(code="bench-consent-installment").delete()
    Partner.objects.filter(slug="bench-consent").delete()


def _quotes(**customer) -> None:
    from scenarios.services import offer_quote

    for _ in range(QUOTES):
        answer = offer_quote(
            partner=_state["partner"], scenario_code="bench-consent", event="booking.created",
            amount=AMOUNT, tenor_months=12, **customer,
        )  # fmt: skip
        assert answer.offers


def with_consent() -> None:
    _quotes(customer_id="cust-88231", consent=_state["consent"])


def without_customer() -> None:
    _quotes()


BENCHMARKS = [
    Benchmark(
        name=f"offer_quote with a customer's consent ×{QUOTES} vs without customer data",
        ours=with_consent,
        baseline=without_customer,
        # One indexed read on top of the request's four (the first round records the consent).
        goal=1.5,
        rounds=5,
        setup=_setup,
        teardown=_teardown,
    ),
]
