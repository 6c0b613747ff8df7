"""Offers tell the true price: every credit offer states its APR, the annualised rate by IRR of
its schedule's cash flows, and is not made when that rate is above the product's ceiling.

The APR is checked against a reference written here from scratch: bisection in exact fractions
on the schedule's cash flows (the customer receives the amount at month 0 and pays each row's
payment a month apart; a bullet's one repayment at maturity), never the engine's own solver.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from products.terms import RATE_CAP, flat_fee_apr
from scenarios.engine import (
    BundleLine,
    ProductTerms,
    QuoteRequest,
    ScenarioTerms,
    offer_as_dict,
    priced_rate,
    quote,
    schedule,
    worst_apr,
)
from scenarios.exceptions import AmountNotOffered
from tests.api.factories import auth, issue, verified_documents

SIX_PLACES = Fraction(1, 2_000_000)  # half a unit of the 6th place: the stated rate's rounding
BISECTION_STEPS = 48  # the monthly rate to 2^-48 ≈ 3.6e-15: far below the 6th place × 12


def reference_apr(amount: D, payments: list[tuple[int, D]]) -> Fraction:
    """Monthly IRR × 12 by bisection on exact fractions: Σ p·(1 + i)^(T − t) − A·(1 + i)^T,
    with T the last month, has the sign of the NPV and falls as i grows."""
    flows = [(month, Fraction(payment)) for month, payment in payments]
    principal, last = Fraction(amount), flows[-1][0]

    def npv_sign(i: Fraction) -> Fraction:
        growth, total, at = 1 + i, Fraction(0), 0
        for month, payment in flows:  # Horner, months ascending
            total = total * growth ** (month - at) + payment
            at = month
        return total - principal * growth**last

    low, high = Fraction(0), Fraction(1)
    assert npv_sign(low) >= 0 > npv_sign(high)
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        if npv_sign(middle) >= 0:
            low = middle
        else:
            high = middle
    return (low + high) / 2 * 12


def payments_of(offer) -> list[tuple[int, D]]:
    if offer.repayment_method == "bullet":
        (row,) = offer.schedule
        return [(offer.tenor_months, row.payment)]
    return [(row.period, row.payment) for row in offer.schedule]


def one_line(product: ProductTerms, **overrides) -> ScenarioTerms:
    line = BundleLine(1, product, **overrides)
    return ScenarioTerms("s", 1, frozenset({"booking.created"}), (line,))


def ask(amount: str | D, tenor: int | None = None) -> QuoteRequest:
    return QuoteRequest("booking.created", D(amount), tenor_months=tenor)


def installment(method="equal_installment", rate="0.120000", ceiling="0.180000", tenors=(3, 6, 12), **kw):
    category = "supply_chain_finance" if method == "bullet" else "installment"
    return ProductTerms(
        code="p", category=category, rate=D(rate), rate_floor=D("0"), rate_ceiling=D(ceiling),
        min_amount=kw.pop("min_amount", D("0.01")), max_amount=kw.pop("max_amount", None),
        tenor_months=tuple(tenors), repayment_method=method, **kw,
    )  # fmt: skip


# --------------------------------------------------------------------------------------
# The property: every offer's APR is its schedule's, and within the ceiling
# --------------------------------------------------------------------------------------
METHODS = ("equal_installment", "equal_principal", "interest_free", "bullet")


@st.composite
def credit_products(draw) -> ProductTerms:
    method = draw(st.sampled_from(METHODS))
    # Interest-free products are priced by a monthly fee (up to the nominal 3 %, whose APR is far
    # above 36 %); the others by an annual rate up to 36 %.
    top = D("0.030000") if method == "interest_free" else RATE_CAP
    ceiling = draw(st.decimals(min_value=D("0"), max_value=top, places=6))
    rate = draw(st.decimals(min_value=D("0"), max_value=ceiling, places=6))
    tenors = draw(st.lists(st.integers(1, 60), min_size=1, max_size=4, unique=True))
    return installment(method, str(rate), str(ceiling), sorted(tenors))


amounts = st.one_of(
    st.decimals(min_value=D("0.01"), max_value=D("3000.00"), places=2),  # where rounding weighs
    st.decimals(min_value=D("0.01"), max_value=D("50000000.00"), places=2),
)


@settings(max_examples=300, deadline=None)
@given(
    product=credit_products(),
    amount=amounts,
    pick=st.integers(0, 3),
    at_ceiling=st.booleans(),
    waiver=st.sampled_from([D("0"), D("0.5")]),
)
@example(  # 3.50 at a nominal 36 %: 37.3 % a year by IRR, refused
    product=installment(rate="0.360000", ceiling="0.360000", tenors=(3,)),
    amount=D("3.50"), pick=0, at_ceiling=False, waiver=D("0"),
)  # fmt: skip
@example(  # the demo's property-fee installment at its highest fee
    product=installment("interest_free", rate="0.008000", ceiling="0.008000", tenors=(12,)),
    amount=D("300.00"), pick=0, at_ceiling=False, waiver=D("0"),
)  # fmt: skip
def test_every_offers_apr_is_the_irr_of_its_schedule_and_never_above_the_ceiling(
    product, amount, pick, at_ceiling, waiver
):
    tenor = product.tenor_months[pick % len(product.tenor_months)]
    if amount < tenor and amount * 4 > tenor:
        amount += tenor  # most small amounts just above the 1.00 a month schedules need
    adjustment = D("1") if at_ceiling else D("0")  # clamped: prices at the ceiling
    fee_waiver = waiver if product.repayment_method == "interest_free" else D("0")
    scenario = one_line(product, rate_adjustment=adjustment, fee_waiver=fee_waiver)
    ceiling = RATE_CAP if product.repayment_method == "interest_free" else product.rate_ceiling

    try:
        (offer,) = quote(scenario, ask(amount, tenor))
    except AmountNotOffered as refusal:
        offer, message = None, refusal.message
    if offer is None and "APR" not in message:
        assert "too small" in message
        event("refused: too small")
        return
    if offer is None:
        event("refused: APR above the ceiling")
        # Refused for its rate: the schedule it would have had is really above the ceiling.
        rate = priced_rate(scenario.lines[0], None)
        if product.repayment_method == "interest_free":
            fee = (amount * rate * (1 - fee_waiver)).quantize(D("0.01"), ROUND_HALF_UP)
            rows = schedule("interest_free", amount, tenor, fee_per_period=fee)
        else:
            rows = schedule(product.repayment_method, amount, tenor, annual_rate=rate)
        months = [tenor] if product.repayment_method == "bullet" else [row.period for row in rows]
        real = reference_apr(amount, [(m, row.payment) for m, row in zip(months, rows, strict=True)])
        assert real >= Fraction(ceiling) + SIX_PLACES - Fraction(1, 10**12)
        return

    event(f"offered: {product.repayment_method}")
    stated = offer.price.apr
    real = reference_apr(amount, payments_of(offer))
    # The stated rate is the real one rounded to 6 places (so equal to 4 decimals and more).
    assert abs(Fraction(stated) - real) <= SIX_PLACES + Fraction(1, 10**12)
    assert stated <= ceiling
    assert offer_as_dict(offer)["price"]["apr"] == f"{stated:f}"
    assert len(offer_as_dict(offer)["price"]["apr"].split(".")[1]) == 6


# --------------------------------------------------------------------------------------
# Examples
# --------------------------------------------------------------------------------------
def test_the_demos_flat_fee_of_0_8_percent_a_month_costs_17_3_percent_a_year_not_9_6():
    promo = installment("interest_free", rate="0.008000", ceiling="0.008000", tenors=(12,))

    (offer,) = quote(one_line(promo), ask("1200.00", 12))

    # 1200.00 repaid as 12 × (100.00 + 9.60): nominally 12 × 0.8 % = 9.6 % a year.
    assert {row.payment for row in offer.schedule} == {D("109.60")}
    assert offer.price.fee_rate * 12 == D("0.096000")
    assert offer.price.apr == D("0.172708")
    assert offer_as_dict(offer)["price"] == {
        "annual_rate": "0.000000",
        "fee_rate": "0.008000",
        "apr": "0.172708",
    }


@pytest.mark.parametrize(("months", "apr"), [(3, "0.532301"), (6, "0.593316"), (12, "0.609568")])
def test_a_flat_fee_of_3_percent_a_month_is_53_to_61_percent_a_year_and_is_not_offered(months, apr):
    product = installment("interest_free", rate="0.030000", ceiling="0.030000", tenors=(months,))

    assert flat_fee_apr(D("0.03"), months) == D(apr)
    assert reference_apr(D(months), [(m, 1 + months * D("0.03")) for m in range(1, months + 1)]) == (
        pytest.approx(Fraction(apr), abs=1e-6)
    )
    with pytest.raises(AmountNotOffered) as caught:
        quote(one_line(product), ask("1200.00", months))
    assert caught.value.field == "amount"
    assert "above its ceiling of 36.00 %" in caught.value.message


def test_half_up_rounding_of_a_tiny_loan_at_a_nominal_36_percent_costs_37_3_percent_and_is_refused():
    product = installment(rate="0.360000", ceiling="0.360000", tenors=(3,))

    with pytest.raises(AmountNotOffered) as caught:
        quote(one_line(product), ask("3.50", 3))

    assert "37.33 %" in caught.value.message
    assert caught.value.field == "amount"


def test_an_offer_just_under_its_ceiling_is_made_and_one_just_over_is_left_out():
    product = installment(rate="0.360000", ceiling="0.360000", tenors=(3, 6, 12, 24))
    insurance = ProductTerms(
        code="cover", category="insurance", rate=D("0.005"), rate_floor=D("0"), rate_ceiling=D("0.01")
    )
    lines = (BundleLine(1, product), BundleLine(2, insurance))
    scenario = ScenarioTerms("s", 1, frozenset({"booking.created"}), lines)

    over = quote(scenario, ask("300.00", 3))  # 36.0052 % by IRR
    under = quote(scenario, ask("1000.00", 3))  # 35.9994 %

    assert [offer.product for offer in over] == ["cover"]
    assert [offer.product for offer in under] == ["p", "cover"]
    assert under[0].price.apr == D("0.359994")


def test_without_a_tenor_the_apr_is_the_highest_of_the_tenors_within_the_ceiling():
    product = installment(rate="0.360000", ceiling="0.360000", tenors=(3, 6, 12))

    (offer,) = quote(one_line(product), ask("1000.00"))

    # 3: 35.9994 %, 6: 35.9988 %, 12: 36.0029 % (above the ceiling, so not offered).
    assert offer.schedule is None
    assert offer.price.apr == D("0.359994")


def test_without_a_tenor_an_amount_no_tenor_can_repay_is_refused():
    product = installment(tenors=(12, 24))

    with pytest.raises(AmountNotOffered, match="too small to repay over any of 12, 24 months"):
        quote(one_line(product), ask("11.99"))


def test_a_bullet_repaid_at_maturity_compounds_monthly_below_its_simple_rate():
    product = installment("bullet", rate="0.060000", ceiling="0.090000", tenors=(3,))

    (offer,) = quote(one_line(product), ask("100000.00", 3))

    # 101,500.00 after 3 months: (1.015^(1/3) − 1) × 12 = 5.9702 %.
    assert offer.price.apr == D("0.059702")
    assert abs(reference_apr(D("100000.00"), [(3, D("101500.00"))]) - Fraction("0.059702")) < SIX_PLACES


def test_a_fee_waiver_lowers_the_apr_with_the_fee():
    promo = installment("interest_free", rate="0.008000", ceiling="0.008000", tenors=(12,))

    (offer,) = quote(one_line(promo, fee_waiver=D("1")), ask("1200.00", 12))

    assert offer.price.apr == D("0.000000")


def test_worst_apr_finds_the_tiny_loans_rounding_above_the_nominal_rate():
    product = installment(rate="0.360000", ceiling="0.360000", tenors=(3, 6))

    apr, amount, months = worst_apr(product, D("0.360000"))

    assert apr > D("0.365")
    assert amount < D("10.00")
    assert months in (3, 6)
    assert worst_apr(installment(rate="0.100000", min_amount=D("500.00")), D("0.100000"))[0] < D("0.1002")


# --------------------------------------------------------------------------------------
# Through the service and the open API
# --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_open_api_answers_the_apr_in_the_price_and_its_schema_shows_it(client, joined, partner):
    verified_documents(partner)
    key = issue(partner, scopes=["offers"])
    body = {
        "scenario": "travel-finance",
        "event": "booking.created",
        "amount": "10000.00",
        "tenor_months": 12,
    }

    response = client.post("/api/v1/offers/", body, content_type="application/json", **auth(key.key))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert response.status_code == 200, response.content
    installment_offer, cover = response.json()["offers"]
    # 10,000.00 at 12 % over 12 months: the schedule's interest rounding makes it 12.0001 %.
    assert installment_offer["price"] == {"annual_rate": "0.120000", "apr": "0.120001"}
    real = reference_apr(
        D("10000.00"), [(r["period"], D(r["payment"])) for r in installment_offer["schedule"]]
    )
    assert abs(Fraction(installment_offer["price"]["apr"]) - real) <= SIX_PLACES
    assert "apr" not in cover["price"]
    offer_schema = schema["components"]["schemas"]["Offer"]["properties"]["price"]
    price_schema = schema["components"]["schemas"][offer_schema["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert price_schema["properties"]["apr"]["type"] == "string"
    assert "IRR" in price_schema["properties"]["apr"]["description"]
