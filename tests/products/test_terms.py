"""Typed product terms: every rule of every category names the bad term."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from products.terms import Category, annualised_rate, apr_ceiling, terms_errors
from tests.products.factories import CATEGORY_TERMS, terms_for


@pytest.mark.parametrize("category", list(CATEGORY_TERMS))
def test_valid_terms_of_every_category_pass(category):
    assert terms_errors(category, terms_for(category)) == {}


def test_every_category_has_valid_example_terms():
    assert set(CATEGORY_TERMS) == set(Category.values)


BAD_TERMS = [
    # category, overrides, the term named, words of the message
    ("installment", {"rate": D("0.400000"), "rate_ceiling": D("0.400000")}, "rate", "between 0 % and 36 %"),
    ("installment", {"rate_floor": D("-0.010000")}, "rate_floor", "between 0 % and 36 %"),
    ("installment", {"rate_ceiling": D("0.360001")}, "rate_ceiling", "between 0 % and 36 %"),
    ("installment", {"rate_floor": D("0.200000")}, "rate_floor", "must not be above the rate ceiling"),
    ("installment", {"rate": D("0.190000")}, "rate", "between the rate floor and the rate ceiling"),
    ("installment", {"rate": D("0.1200001")}, "rate", "6 decimal places"),
    ("installment", {"rate": None}, "rate", "needs a base rate"),
    ("insurance", {"rate_floor": None}, "rate_floor", "needs a rate floor"),
    ("installment", {"rate": "twelve"}, "rate", "is not a number"),
    ("installment", {"min_amount": D("60000.00")}, "min_amount", "must not be above the maximum amount"),
    ("installment", {"min_amount": D("0.00")}, "min_amount", "at least 0.01"),
    ("installment", {"max_amount": D("100.001")}, "max_amount", "2 decimal places"),
    ("consumer_credit", {"max_amount": None}, "max_amount", "needs a maximum amount"),
    ("installment", {"tenor_months": []}, "tenor_months", "at least one allowed tenor"),
    ("installment", {"tenor_months": [0, 3]}, "tenor_months", "between 1 and 60"),
    ("installment", {"tenor_months": [3, 61]}, "tenor_months", "between 1 and 60"),
    ("installment", {"tenor_months": [3, 3, 6]}, "tenor_months", "appear once"),
    ("installment", {"tenor_months": "3, six"}, "tenor_months", "“six” is not"),
    ("insurance", {"tenor_months": [12]}, "tenor_months", "takes no tenors"),
    ("credit_limit_uplift", {"tenor_months": [12]}, "tenor_months", "takes no tenors"),
    ("installment", {"repayment_method": ""}, "repayment_method", "needs a repayment method"),
    (
        "installment",
        {"repayment_method": "bullet"},
        "repayment_method",
        "allows these repayment methods only",
    ),
    ("consumer_credit", {"repayment_method": "interest_free"}, "repayment_method", "allows these"),
    ("insurance", {"repayment_method": "equal_installment"}, "repayment_method", "has no repayment method"),
    (
        "installment",
        {
            "repayment_method": "interest_free",
            "rate": D("0.006"),
            "rate_floor": D("0.004"),
            "rate_ceiling": D("0.040"),
        },
        "rate_ceiling",
        "within 36 % a year",
    ),
    ("installment", {"minimum_charge": D("5.00")}, "minimum_charge", "takes no minimum premium or fee"),
    ("insurance", {"minimum_charge": D("-1.00")}, "minimum_charge", "cannot be negative"),
    ("data_service", {"fixed_fee": None}, "fixed_fee", "needs a fixed fee"),
    ("data_service", {"fixed_fee": D("0.00")}, "fixed_fee", "more than zero"),
    ("data_service", {"rate": D("0.01")}, "rate", "priced by a fixed fee"),
    ("payment", {"fixed_fee": D("1.00")}, "fixed_fee", "takes no fixed fee"),
    ("deposit", {"currency": "yuan"}, "currency", "three-letter ISO 4217"),
    ("deposit", {"currency": ""}, "currency", "three-letter ISO 4217"),
]


@pytest.mark.parametrize(("category", "overrides", "field", "words"), BAD_TERMS)
def test_a_bad_term_is_named_with_a_clear_message(category, overrides, field, words):
    errors = terms_errors(category, terms_for(category, **overrides))

    assert field in errors, errors
    assert any(words in message for message in errors[field]), errors[field]


def test_an_unknown_category_is_named():
    assert "category" in terms_errors("crypto", terms_for("deposit"))


def test_every_bad_term_is_reported_at_once():
    errors = terms_errors(
        "installment",
        terms_for("installment", rate=None, tenor_months=[], currency="cny", repayment_method=""),
    )

    assert {"rate", "tenor_months", "currency", "repayment_method"} <= set(errors)


def test_optional_terms_may_be_left_empty():
    assert (
        terms_errors("deposit", terms_for("deposit", min_amount=None, max_amount=None, tenor_months=[])) == {}
    )
    assert terms_errors("deposit", terms_for("deposit", tenor_months=[12, 36], min_amount=D("50.00"))) == {}


def _interest_free(ceiling: str, tenors: list[int]) -> dict:
    return terms_for(
        "installment",
        repayment_method="interest_free",
        rate=D("0.004"),
        rate_floor=D("0.002"),
        rate_ceiling=D(ceiling),
        tenor_months=tenors,
    )


def test_an_interest_free_fee_ceiling_is_held_to_36_percent_as_an_apr_naming_the_worst():
    # 2 % a month is 24 % nominally, within the old twelve-fold check; by IRR it is 41.70 % over 12.
    errors = terms_errors("installment", _interest_free("0.020", [3, 6, 12]))

    assert errors["rate_ceiling"] == [
        "At the highest monthly fee, 2.00 %, the annualised rate (APR) reaches 41.70 % over 12 months; "
        "it must stay within 36 % a year."
    ]


def test_an_interest_free_fee_ceiling_within_36_percent_as_an_apr_passes():
    # The demo's 0.8 % a month: 17.27 % a year by IRR over 12 months. 2 % over one month: 24 %.
    assert terms_errors("installment", _interest_free("0.008", [3, 6, 12])) == {}
    assert terms_errors("installment", _interest_free("0.020", [1])) == {}


def test_the_apr_is_the_monthly_irr_times_twelve():
    # 1000.00 repaid by 1100.00 after one month: 10 % a month, 120 % a year (nominal, not 213.8 %).
    assert annualised_rate(D("1000.00"), [(1, D("1100.00"))]) == D("1.200000")
    # Interest of exactly balance × 12 % / 12 every month: the APR is 12 % whatever the schedule.
    assert annualised_rate(D("300"), [(1, D("103")), (2, D("102")), (3, D("101"))]) == D("0.120000")
    assert apr_ceiling("installment", "interest_free", D("0.008")) == D("0.36")
    assert apr_ceiling("consumer_credit", "equal_installment", D("0.24")) == D("0.24")
