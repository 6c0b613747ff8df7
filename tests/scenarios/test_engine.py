"""The offer engine without a database: eligibility, pricing, rewards, ordering, JSON shape."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.engine import (
    BundleLine,
    ProductTerms,
    QuoteRequest,
    RewardTerms,
    ScenarioTerms,
    offer_as_dict,
    priced_rate,
    quote,
)
from scenarios.exceptions import (
    AmountNotOffered,
    CurrencyNotOffered,
    EventNotTriggered,
    NothingToOffer,
    SegmentUnknown,
    TenorNotOffered,
)

INSTALLMENT = ProductTerms(
    code="travel-installment",
    category="installment",
    rate=D("0.120000"),
    rate_floor=D("0.080000"),
    rate_ceiling=D("0.180000"),
    min_amount=D("500.00"),
    max_amount=D("50000.00"),
    tenor_months=(3, 6, 12),
    repayment_method="equal_installment",
    segment_adjustments={"vip": D("-0.020000"), "new_customer": D("-0.060000")},
)
INSURANCE = ProductTerms(
    code="travel-insurance",
    category="insurance",
    rate=D("0.005000"),
    rate_floor=D("0.003000"),
    rate_ceiling=D("0.010000"),
    minimum_charge=D("20.00"),
)
UPLIFT = ProductTerms(
    code="limit-uplift",
    category="credit_limit_uplift",
    rate=D("0.180000"),
    rate_floor=D("0.120000"),
    rate_ceiling=D("0.240000"),
    min_amount=D("2000.00"),
    max_amount=D("30000.00"),
)


def scenario(*lines, events=("booking.created",), segments=("standard", "vip", "new_customer")):
    return ScenarioTerms("travel", 1, frozenset(events), tuple(lines), frozenset(segments))


def ask(amount="12000.00", **kw):
    kw.setdefault("event", "booking.created")
    return QuoteRequest(amount=D(amount), **kw)


# --------------------------------------------------------------------------------------
# Eligibility
# --------------------------------------------------------------------------------------
def test_an_event_that_is_not_a_trigger_is_refused_naming_the_event():
    with pytest.raises(EventNotTriggered) as caught:
        quote(scenario(BundleLine(1, INSTALLMENT)), ask(event="order.paid"))

    assert caught.value.field == "event"
    assert "booking.created" in caught.value.message


@pytest.mark.parametrize("amount", ["0", "-1.00", "12.345", "NaN", "Infinity"])
def test_an_amount_that_is_not_a_positive_sum_in_fen_is_refused(amount):
    with pytest.raises(AmountNotOffered) as caught:
        quote(scenario(BundleLine(1, INSTALLMENT)), QuoteRequest("booking.created", D(amount)))

    assert caught.value.field == "amount"


def test_an_amount_outside_every_products_range_is_refused_naming_the_range():
    with pytest.raises(AmountNotOffered) as caught:
        quote(scenario(BundleLine(1, INSTALLMENT), BundleLine(2, UPLIFT)), ask("100000.00"))

    assert caught.value.field == "amount"
    assert "500.00" in caught.value.message
    assert "50000.00" in caught.value.message


def test_a_product_that_cannot_serve_the_amount_is_left_out_when_others_can():
    offers = quote(scenario(BundleLine(1, INSTALLMENT), BundleLine(2, UPLIFT)), ask("1000.00"))

    assert [o.product for o in offers] == ["travel-installment"]


def test_a_tenor_no_product_offers_is_refused_listing_the_tenors():
    with pytest.raises(TenorNotOffered) as caught:
        quote(scenario(BundleLine(1, INSTALLMENT), BundleLine(2, INSURANCE)), ask(tenor_months=24))

    assert caught.value.field == "tenor_months"
    assert "3, 6, 12" in caught.value.message


def test_a_tenor_is_ignored_by_products_that_take_none():
    offers = quote(scenario(BundleLine(1, INSURANCE)), ask(tenor_months=24))

    assert [o.product for o in offers] == ["travel-insurance"]
    assert offers[0].schedule is None


@pytest.mark.parametrize("tenor", [0, -3, True])
def test_a_tenor_that_is_not_a_positive_whole_number_is_refused(tenor):
    with pytest.raises(TenorNotOffered) as caught:
        quote(scenario(BundleLine(1, INSTALLMENT)), ask(tenor_months=tenor))

    assert caught.value.field == "tenor_months"


def test_an_amount_below_a_yuan_a_month_gets_no_schedule_offer():
    small = ProductTerms(**{**_fields(INSTALLMENT), "min_amount": D("1.00"), "tenor_months": (60,)})

    with pytest.raises(AmountNotOffered, match="too small to repay over 60 months"):
        quote(scenario(BundleLine(1, small)), ask("59.99", tenor_months=60))
    (offer,) = quote(scenario(BundleLine(1, small)), ask("60.00", tenor_months=60))
    assert sum(r.principal for r in offer.schedule) == D("60.00")


def test_a_currency_no_product_is_offered_in_is_refused():
    with pytest.raises(CurrencyNotOffered) as caught:
        quote(scenario(BundleLine(1, INSTALLMENT)), ask(currency="USD"))

    assert caught.value.field == "currency"


def test_a_malformed_currency_is_refused():
    with pytest.raises(CurrencyNotOffered):
        quote(scenario(BundleLine(1, INSTALLMENT)), ask(currency="yuan"))


def test_an_unknown_segment_is_refused():
    with pytest.raises(SegmentUnknown) as caught:
        quote(scenario(BundleLine(1, INSTALLMENT)), ask(segment="platinum"))

    assert caught.value.field == "segment"


def test_a_scenario_without_products_on_sale_offers_nothing():
    with pytest.raises(NothingToOffer) as caught:
        quote(scenario(), ask())

    assert caught.value.field == "scenario"


# --------------------------------------------------------------------------------------
# Pricing
# --------------------------------------------------------------------------------------
def test_the_price_is_the_base_rate_without_segment_or_override():
    (offer,) = quote(scenario(BundleLine(1, INSTALLMENT)), ask())

    assert offer.price.annual_rate == D("0.120000")


def test_segment_and_bundle_adjustments_add_to_the_base_rate():
    # 0.12 − 0.02 (VIP) − 0.01 (bundle) = 0.09
    line = BundleLine(1, INSTALLMENT, rate_adjustment=D("-0.010000"))

    (offer,) = quote(scenario(line), ask(segment="vip"))

    assert offer.price.annual_rate == D("0.090000")


def test_the_price_is_clamped_to_the_products_floor():
    # 0.12 − 0.06 (new customer) − 0.03 (bundle) = 0.03, below the floor 0.08.
    line = BundleLine(1, INSTALLMENT, rate_adjustment=D("-0.030000"))

    (offer,) = quote(scenario(line), ask(segment="new_customer"))

    assert offer.price.annual_rate == D("0.080000")


def test_the_price_is_clamped_to_the_products_ceiling():
    line = BundleLine(1, INSTALLMENT, rate_adjustment=D("0.060000"))
    pricier = ProductTerms(**{**_fields(INSTALLMENT), "segment_adjustments": {"risky": D("0.100000")}})

    assert priced_rate(BundleLine(1, pricier, rate_adjustment=D("0.060000")), "risky") == D("0.180000")
    assert priced_rate(line, None) == D("0.180000")


def _fields(terms: ProductTerms) -> dict:
    return {name: getattr(terms, name) for name in terms.__dataclass_fields__}


@settings(max_examples=300, deadline=None)
@given(
    floor=st.decimals(min_value=D("0"), max_value=D("0.36"), places=6),
    spread=st.decimals(min_value=D("0"), max_value=D("0.36"), places=6),
    base_at=st.floats(min_value=0, max_value=1),
    segment=st.decimals(min_value=D("-0.36"), max_value=D("0.36"), places=6),
    bundle=st.decimals(min_value=D("-0.36"), max_value=D("0.36"), places=6),
)
def test_the_price_always_lies_within_floor_and_ceiling(floor, spread, base_at, segment, bundle):
    ceiling = min(floor + spread, D("0.36"))
    base = (floor + (ceiling - floor) * D(str(base_at))).quantize(D("0.000001"))
    product = ProductTerms(
        code="p", category="consumer_credit", rate=base, rate_floor=floor, rate_ceiling=ceiling,
        segment_adjustments={"s": segment},
    )  # fmt: skip

    rate = priced_rate(BundleLine(1, product, rate_adjustment=bundle), "s")

    assert floor <= rate <= ceiling
    assert rate == rate.quantize(D("0.000001"))


def test_a_schedule_comes_with_a_tenor_and_repays_the_amount():
    (offer,) = quote(scenario(BundleLine(1, INSTALLMENT)), ask("10000.00", tenor_months=12))

    assert offer.tenor_months == 12
    assert len(offer.schedule) == 12
    assert sum(r.principal for r in offer.schedule) == D("10000.00")
    assert offer.schedule[0].payment == D("888.49")  # see test_schedules: 10,000 at 12 % over 12 months


def test_no_tenor_means_no_schedule():
    (offer,) = quote(scenario(BundleLine(1, INSTALLMENT)), ask())

    assert offer.schedule is None
    assert "schedule" not in offer_as_dict(offer)


def test_interest_free_installments_charge_the_monthly_fee_less_the_waiver():
    promo = ProductTerms(
        code="promo", category="installment", rate=D("0.006000"), rate_floor=D("0.004000"),
        rate_ceiling=D("0.008000"), min_amount=D("600.00"), max_amount=D("60000.00"),
        tenor_months=(3, 6), repayment_method="interest_free",
    )  # fmt: skip
    # 6000.00 × 0.006 = 36.00 a month; half waived by the bundle: 18.00.
    (offer,) = quote(scenario(BundleLine(1, promo, fee_waiver=D("0.5"))), ask("6000.00", tenor_months=6))

    assert offer.price.annual_rate == D("0")
    assert offer.price.fee_rate == D("0.006000")
    assert {r.fee for r in offer.schedule} == {D("18.00")}
    assert {r.interest for r in offer.schedule} == {D("0.00")}
    assert sum(r.principal for r in offer.schedule) == D("6000.00")


def test_insurance_premium_is_the_rate_of_the_amount_with_a_minimum():
    # 12000.00 × 0.005 = 60.00; 2000.00 × 0.005 = 10.00 < the minimum 20.00.
    (big,) = quote(scenario(BundleLine(1, INSURANCE)), ask("12000.00"))
    (small,) = quote(scenario(BundleLine(1, INSURANCE)), ask("2000.00"))

    assert (big.price.premium_rate, big.price.premium) == (D("0.005000"), D("60.00"))
    assert small.price.premium == D("20.00")


def test_payment_fees_use_the_fee_rate_minimum_and_waiver():
    pay = ProductTerms(
        code="pay", category="payment", rate=D("0.006000"), rate_floor=D("0.002000"),
        rate_ceiling=D("0.010000"), minimum_charge=D("1.00"),
    )  # fmt: skip
    # 10000.00 × 0.006 = 60.00, a quarter waived: 45.00. 50.00 × 0.006 = 0.30 → minimum 1.00.
    (offer,) = quote(scenario(BundleLine(1, pay, fee_waiver=D("0.25"))), ask("10000.00"))
    (tiny,) = quote(scenario(BundleLine(1, pay)), ask("50.00"))

    assert (offer.price.fee_rate, offer.price.fee) == (D("0.006000"), D("45.00"))
    assert tiny.price.fee == D("1.00")


def test_data_services_charge_their_fixed_fee():
    data = ProductTerms(code="data", category="data_service", fixed_fee=D("0.50"))

    (offer,) = quote(scenario(BundleLine(1, data)), ask())

    assert offer_as_dict(offer)["price"] == {"fee": "0.50"}


def test_savings_quote_the_rate_and_the_expected_return_over_the_tenor():
    deposit = ProductTerms(
        code="edu-savings", category="deposit", rate=D("0.024000"), rate_floor=D("0.015000"),
        rate_ceiling=D("0.030000"), tenor_months=(12, 36),
    )  # fmt: skip
    # 10000.00 × 0.024 × 36 / 12 = 720.00
    (offer,) = quote(scenario(BundleLine(1, deposit)), ask("10000.00", tenor_months=36))

    assert offer_as_dict(offer)["price"] == {"annual_rate": "0.024000", "expected_return": "720.00"}


def test_a_credit_limit_uplift_has_a_rate_and_no_schedule():
    (offer,) = quote(scenario(BundleLine(1, UPLIFT)), ask("5000.00"))

    # Interest of the annual rate / 12 a month on the balance drawn: the APR is the rate itself.
    assert offer_as_dict(offer) == {
        "product": "limit-uplift",
        "category": "credit_limit_uplift",
        "price": {"annual_rate": "0.180000", "apr": "0.180000"},
    }


def test_supply_chain_receivables_are_repaid_at_maturity():
    receivables = ProductTerms(
        code="receivables", category="supply_chain_finance", rate=D("0.060000"), rate_floor=D("0.040000"),
        rate_ceiling=D("0.090000"), min_amount=D("10000.00"), max_amount=D("5000000.00"),
        tenor_months=(3,), repayment_method="bullet",
    )  # fmt: skip

    (offer,) = quote(scenario(BundleLine(1, receivables)), ask("100000.00", tenor_months=3))

    assert [(r.principal, r.interest) for r in offer.schedule] == [(D("100000.00"), D("1500.00"))]


# --------------------------------------------------------------------------------------
# Rewards, ordering and the JSON shape
# --------------------------------------------------------------------------------------
def test_cashback_is_a_share_of_the_amount_up_to_the_cap():
    reward = RewardTerms("cashback", rate=D("0.01"), cap=D("50.00"))
    line = BundleLine(1, INSTALLMENT, reward=reward)

    (small,) = quote(scenario(line), ask("1234.56"))  # 12.3456 → 12.35
    (big,) = quote(scenario(line), ask("12000.00"))  # 120.00 capped at 50.00

    assert small.reward.amount == D("12.35")
    assert big.reward.amount == D("50.00")


def test_points_are_whole_points_per_yuan_rounded_down():
    line = BundleLine(1, INSTALLMENT, reward=RewardTerms("points", rate=D("2")))

    (offer,) = quote(scenario(line), ask("1234.56"))

    assert offer_as_dict(offer)["reward"] == {"kind": "points", "points": 2469}


def test_a_coupon_has_its_face_value_and_description():
    line = BundleLine(
        1, INSURANCE, reward=RewardTerms("coupon", amount=D("50"), description="¥50 off a hotel")
    )

    (offer,) = quote(scenario(line), ask())

    assert offer_as_dict(offer)["reward"] == {
        "kind": "coupon",
        "amount": "50.00",
        "description": "¥50 off a hotel",
    }


def test_offers_follow_the_item_positions_whatever_the_input_order():
    lines = (BundleLine(3, UPLIFT, role="cross_sell"), BundleLine(1, INSTALLMENT), BundleLine(2, INSURANCE))

    first = quote(scenario(*lines), ask("5000.00"))
    again = quote(scenario(*reversed(lines)), ask("5000.00"))

    assert [o.product for o in first] == ["travel-installment", "travel-insurance", "limit-uplift"]
    assert first == again


def test_offer_as_dict_gives_the_api_shape_with_strings_for_money_and_rates():
    line = BundleLine(1, INSTALLMENT, reward=RewardTerms("cashback", amount=D("8")))

    (offer,) = quote(scenario(line), ask("10000.00", tenor_months=3))
    body = offer_as_dict(offer)

    assert set(body) == {"product", "category", "price", "reward", "schedule"}
    # Fen rounding of the interest makes the schedule's true rate 12.0004 %, not 12 %.
    assert body["price"] == {"annual_rate": "0.120000", "apr": "0.120004"}
    assert body["reward"] == {"kind": "cashback", "amount": "8.00"}
    # 10,000.00 at 1 % a month over 3 months: A = 100 × 1.030301 / 0.030301 = 3400.2211 → 3400.22;
    # first interest 100.00, principal 3300.22.
    assert body["schedule"][0] == {
        "period": 1,
        "principal": "3300.22",
        "interest": "100.00",
        "fee": "0.00",
        "payment": "3400.22",
    }
    for row in body["schedule"]:
        assert D(row["payment"]) == D(row["principal"]) + D(row["interest"]) + D(row["fee"])
    assert sum(D(row["principal"]) for row in body["schedule"]) == D("10000.00")
