"""Installment schedules: known schedules worked by hand, and properties over the whole range."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.engine import (
    annuity_payment,
    bullet,
    equal_installment,
    equal_principal,
    interest_free,
    schedule,
)

CENT = D("0.01")


def rows_as_tuples(rows):
    return [(r.period, r.principal, r.interest, r.fee, r.payment) for r in rows]


# --------------------------------------------------------------------------------------
# Known schedules (each expected value worked by hand; the steps are in the comments)
# --------------------------------------------------------------------------------------
def test_equal_installment_matches_the_annuity_worked_by_hand():
    # 10,000.00 at 12 % a year over 12 months. r = 0.12 / 12 = 0.01.
    # (1 + r)^12 = 1.01^12 = 1.12682503013197
    # A = P·r·(1+r)^n / ((1+r)^n − 1) = 10000 × 0.01 × 1.12682503 / 0.12682503 = 888.4878868 → 888.49
    # (the figure in every amortisation table for 10,000 at 1 % a month over a year).
    # Each period: interest = balance × 0.01 rounded half up; principal = 888.49 − interest.
    #  1: 10000.00 × 0.01 = 100.00   → principal 788.49, balance 9211.51
    #  2:  9211.51 × 0.01 =  92.1151 →  92.12, principal 796.37, balance 8415.14
    #  3:  8415.14 × 0.01 =  84.1514 →  84.15, principal 804.34, balance 7610.80
    #  4:  7610.80 × 0.01 =  76.1080 →  76.11, principal 812.38, balance 6798.42
    #  5:  6798.42 × 0.01 =  67.9842 →  67.98, principal 820.51, balance 5977.91
    #  6:  5977.91 × 0.01 =  59.7791 →  59.78, principal 828.71, balance 5149.20
    #  7:  5149.20 × 0.01 =  51.4920 →  51.49, principal 837.00, balance 4312.20
    #  8:  4312.20 × 0.01 =  43.1220 →  43.12, principal 845.37, balance 3466.83
    #  9:  3466.83 × 0.01 =  34.6683 →  34.67, principal 853.82, balance 2613.01
    # 10:  2613.01 × 0.01 =  26.1301 →  26.13, principal 862.36, balance 1750.65
    # 11:  1750.65 × 0.01 =  17.5065 →  17.51, principal 870.98, balance  879.67
    # 12: the last period repays the balance 879.67 with interest 8.7967 → 8.80: payment 888.47.
    rows = equal_installment(D("10000.00"), D("0.12"), 12)

    assert annuity_payment(D("10000.00"), D("0.12"), 12) == D("888.49")
    assert rows_as_tuples(rows) == [
        (1, D("788.49"), D("100.00"), D("0.00"), D("888.49")),
        (2, D("796.37"), D("92.12"), D("0.00"), D("888.49")),
        (3, D("804.34"), D("84.15"), D("0.00"), D("888.49")),
        (4, D("812.38"), D("76.11"), D("0.00"), D("888.49")),
        (5, D("820.51"), D("67.98"), D("0.00"), D("888.49")),
        (6, D("828.71"), D("59.78"), D("0.00"), D("888.49")),
        (7, D("837.00"), D("51.49"), D("0.00"), D("888.49")),
        (8, D("845.37"), D("43.12"), D("0.00"), D("888.49")),
        (9, D("853.82"), D("34.67"), D("0.00"), D("888.49")),
        (10, D("862.36"), D("26.13"), D("0.00"), D("888.49")),
        (11, D("870.98"), D("17.51"), D("0.00"), D("888.49")),
        (12, D("879.67"), D("8.80"), D("0.00"), D("888.47")),
    ]


def test_equal_installment_of_a_short_loan_worked_by_hand():
    # 5,000.00 at 18 % a year over 6 months. r = 0.015; 1.015^6 = 1.09344326...
    # A = 5000 × 0.015 × 1.09344326 / 0.09344326 = 877.6262... → 877.63
    #  1: 5000.00 × 0.015 = 75.00    → principal 802.63, balance 4197.37
    #  2: 4197.37 × 0.015 = 62.96055 → 62.96, principal 814.67, balance 3382.70
    #  3: 3382.70 × 0.015 = 50.7405  → 50.74, principal 826.89, balance 2555.81
    #  4: 2555.81 × 0.015 = 38.33715 → 38.34, principal 839.29, balance 1716.52
    #  5: 1716.52 × 0.015 = 25.7478  → 25.75, principal 851.88, balance  864.64
    #  6: last: principal 864.64, interest 12.9696 → 12.97, payment 877.61
    rows = equal_installment(D("5000.00"), D("0.18"), 6)

    assert [r.payment for r in rows] == [D("877.63")] * 5 + [D("877.61")]
    assert [r.interest for r in rows] == [
        D("75.00"),
        D("62.96"),
        D("50.74"),
        D("38.34"),
        D("25.75"),
        D("12.97"),
    ]
    assert rows[-1].principal == D("864.64")


def test_equal_principal_matches_the_schedule_worked_by_hand():
    # 12,000.00 at 12 % a year over 12 months: principal 12000 / 12 = 1000.00 every month;
    # interest = balance × 0.01 = 120.00, 110.00, … 10.00 as the balance falls by 1000 a month.
    rows = equal_principal(D("12000.00"), D("0.12"), 12)

    assert [r.principal for r in rows] == [D("1000.00")] * 12
    assert [r.interest for r in rows] == [D(120 - 10 * k).quantize(CENT) for k in range(12)]
    assert [r.payment for r in rows] == [D(1120 - 10 * k).quantize(CENT) for k in range(12)]


def test_equal_principal_last_period_absorbs_the_rounding():
    # 10,000.00 / 3 = 3333.333… → 3333.33 twice; the last takes 10000 − 6666.66 = 3333.34.
    # Interest at 6 %: 10000 × 0.005 = 50.00; 6666.67 × 0.005 = 33.33335 → 33.33;
    # 3333.34 × 0.005 = 16.6667 → 16.67.
    rows = equal_principal(D("10000.00"), D("0.06"), 3)

    assert rows_as_tuples(rows) == [
        (1, D("3333.33"), D("50.00"), D("0.00"), D("3383.33")),
        (2, D("3333.33"), D("33.33"), D("0.00"), D("3366.66")),
        (3, D("3333.34"), D("16.67"), D("0.00"), D("3350.01")),
    ]


def test_interest_free_installments_charge_a_fee_instead_of_interest():
    # 6,000.00 over 6 months at a monthly fee rate of 0.6 %: fee 6000 × 0.006 = 36.00 a month,
    # principal 1000.00 a month, no interest.
    rows = interest_free(D("6000.00"), D("36.00"), 6)

    assert rows_as_tuples(rows) == [
        (k, D("1000.00"), D("0.00"), D("36.00"), D("1036.00")) for k in range(1, 7)
    ]


def test_bullet_repays_principal_and_simple_interest_at_maturity():
    # 100,000.00 at 6 % a year for 3 months: interest 100000 × 0.06 × 3 / 12 = 1500.00.
    assert rows_as_tuples(bullet(D("100000.00"), D("0.06"), 3)) == [
        (1, D("100000.00"), D("1500.00"), D("0.00"), D("101500.00"))
    ]


def test_zero_rate_equal_installment_spreads_the_remainder_to_the_last_period():
    # 1,000.00 / 3 = 333.333… → 333.33, 333.33 and 1000 − 666.66 = 333.34.
    rows = equal_installment(D("1000.00"), D("0"), 3)

    assert [r.payment for r in rows] == [D("333.33"), D("333.33"), D("333.34")]


def test_the_smallest_amount_is_a_yuan_of_principal_a_month():
    # 60.00 over 60 months at 0 %: exactly 1.00 a month.
    assert [r.payment for r in equal_installment(D("60.00"), D("0"), 60)] == [D("1.00")] * 60
    # 1.00 over 52 months at 6 % would pay 0.01 a month (interest 1.00 × 0.005 = 0.005 → 0.01
    # eats a rounded payment of 0.02 − 0.01) and 1.01 at the end: such amounts are refused.
    for method in ("equal_installment", "equal_principal", "interest_free"):
        with pytest.raises(ValueError, match=r"minimum of 1\.00"):
            schedule(method, D("51.99"), 52, annual_rate=D("0.06"))
    assert bullet(D("1.00"), D("0.06"), 52)[0].payment == D("1.26")  # one repayment: 1 × 0.06 × 52 / 12


@pytest.mark.parametrize(
    ("amount", "months", "rate"),
    [(D("0"), 3, D("0.1")), (D("-5.00"), 3, D("0.1")), (D("10.001"), 3, D("0.1")), (D("100.00"), 0, D("0.1")),
     (D("100.00"), 61, D("0.1")), (D("100.00"), 3, D("0.37")), (D("5.99"), 6, D("0.1"))],
)  # fmt: skip
def test_schedules_refuse_impossible_input(amount, months, rate):
    with pytest.raises(ValueError):
        equal_installment(amount, rate, months)


def test_an_unknown_repayment_method_is_refused():
    with pytest.raises(ValueError, match="unknown repayment method"):
        schedule("balloon", D("100.00"), 3, annual_rate=D("0.1"))


# --------------------------------------------------------------------------------------
# Properties over amounts 1.00–5,000,000.00, tenors 1–60 months (at most one a yuan), rates
# 0–36 %, both methods
# --------------------------------------------------------------------------------------
amounts = st.decimals(
    min_value=D("1.00"), max_value=D("5000000.00"), places=2, allow_nan=False, allow_infinity=False
)
rates = st.decimals(min_value=D("0"), max_value=D("0.36"), places=6, allow_nan=False, allow_infinity=False)
methods = st.sampled_from(["equal_installment", "equal_principal"])
loans = amounts.flatmap(lambda a: st.tuples(st.just(a), st.integers(min_value=1, max_value=min(60, int(a)))))


@settings(max_examples=400, deadline=None)
@given(loan=loans, rate=rates, method=methods)
def test_every_schedule_repays_exactly_the_amount_with_positive_payments(loan, rate, method):
    amount, months = loan
    rows = schedule(method, amount, months, annual_rate=rate)

    assert [r.period for r in rows] == list(range(1, months + 1))
    assert sum(r.principal for r in rows) == amount
    for r in rows:
        assert r.payment > 0
        assert r.interest >= 0
        assert r.principal >= 0
        assert r.payment == r.principal + r.interest + r.fee
        for value in (r.principal, r.interest, r.fee, r.payment):
            assert value == value.quantize(CENT)


@settings(max_examples=400, deadline=None)
@given(loan=loans, rate=rates)
def test_equal_installment_payments_are_equal_but_the_last_within_rounding(loan, rate):
    amount, months = loan
    rows = equal_installment(amount, rate, months)
    level = rows[0].payment

    assert all(r.payment == level for r in rows[:-1])
    # The last payment carries what the rounding of every period left: at most half a fen per
    # period for the level payment and half a fen per period of interest, each grown by the
    # interest of the periods after it, so within a fen per period times (1 + r)^n.
    growth = (1 + rate / 12) ** months
    assert abs(rows[-1].payment - level) <= CENT * months * growth


@settings(max_examples=300, deadline=None)
@given(loan=loans, rate=rates)
def test_equal_principal_parts_are_level_and_interest_falls(loan, rate):
    amount, months = loan
    rows = equal_principal(amount, rate, months)

    assert all(r.principal > 0 for r in rows)
    assert len({r.principal for r in rows[:-1]}) <= 1
    interests = [r.interest for r in rows]
    assert interests == sorted(interests, reverse=True)


@settings(max_examples=200, deadline=None)
@given(loan=loans, fee=st.decimals(min_value=D("0"), max_value=D("5000.00"), places=2))
def test_interest_free_schedules_repay_the_amount_with_a_fee_and_no_interest(loan, fee):
    amount, months = loan
    rows = interest_free(amount, fee, months)

    assert sum(r.principal for r in rows) == amount
    assert all(r.interest == 0 and r.fee == fee and r.payment > 0 for r in rows)
