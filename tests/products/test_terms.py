"""Typed product terms: every rule of every category names the bad term."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from products.terms import Category, terms_errors
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
        "more than 36 percent a year",
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
