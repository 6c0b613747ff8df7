"""Catalog factories: an active product with valid terms for its category."""

from __future__ import annotations

from decimal import Decimal as D

import factory

# Valid terms per category; a test overrides what it is about.
CATEGORY_TERMS: dict[str, dict] = {
    "installment": {
        "rate": D("0.120000"),
        "rate_floor": D("0.080000"),
        "rate_ceiling": D("0.180000"),
        "min_amount": D("100.00"),
        "max_amount": D("50000.00"),
        "tenor_months": [3, 6, 12],
        "repayment_method": "equal_installment",
    },
    "consumer_credit": {
        "rate": D("0.150000"),
        "rate_floor": D("0.060000"),
        "rate_ceiling": D("0.240000"),
        "min_amount": D("1000.00"),
        "max_amount": D("200000.00"),
        "tenor_months": [6, 12, 24, 36],
        "repayment_method": "equal_principal",
    },
    "credit_limit_uplift": {
        "rate": D("0.180000"),
        "rate_floor": D("0.120000"),
        "rate_ceiling": D("0.240000"),
        "min_amount": D("1000.00"),
        "max_amount": D("50000.00"),
    },
    "supply_chain_finance": {
        "rate": D("0.055000"),
        "rate_floor": D("0.040000"),
        "rate_ceiling": D("0.090000"),
        "min_amount": D("10000.00"),
        "max_amount": D("5000000.00"),
        "tenor_months": [1, 3, 6],
        "repayment_method": "bullet",
    },
    "deposit": {"rate": D("0.020000"), "rate_floor": D("0.015000"), "rate_ceiling": D("0.030000")},
    "wealth_management": {"rate": D("0.028000"), "rate_floor": D("0.020000"), "rate_ceiling": D("0.040000")},
    "insurance": {
        "rate": D("0.005000"),
        "rate_floor": D("0.003000"),
        "rate_ceiling": D("0.010000"),
        "minimum_charge": D("20.00"),
    },
    "payment": {"rate": D("0.006000"), "rate_floor": D("0.002000"), "rate_ceiling": D("0.010000")},
    "merchant_services": {"rate": D("0.003000"), "rate_floor": D("0.001000"), "rate_ceiling": D("0.006000")},
    "data_service": {"fixed_fee": D("0.50")},
}
TERM_NAMES = (
    "rate",
    "rate_floor",
    "rate_ceiling",
    "min_amount",
    "max_amount",
    "tenor_months",
    "repayment_method",
    "minimum_charge",
    "fixed_fee",
)
EMPTY = {"tenor_months": [], "repayment_method": ""}


def terms_for(category: str, **overrides) -> dict:
    """Every term of ``category`` (valid), with ``overrides`` applied."""
    terms = {name: EMPTY.get(name) for name in TERM_NAMES}
    terms.update(CATEGORY_TERMS[category])
    terms["currency"] = "CNY"
    terms.update(overrides)
    return terms


def _term(name: str):
    return factory.LazyAttribute(lambda o: CATEGORY_TERMS[o.category].get(name, EMPTY.get(name)))


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.Segment"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"segment-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").title())


class ProductFactory(factory.django.DjangoModelFactory):
    """An active product with valid terms for ``category`` (installment unless given)."""

    class Meta:
        model = "products.Product"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"product-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    category = "installment"
    status = "active"
    currency = "CNY"
    rate = _term("rate")
    rate_floor = _term("rate_floor")
    rate_ceiling = _term("rate_ceiling")
    min_amount = _term("min_amount")
    max_amount = _term("max_amount")
    tenor_months = _term("tenor_months")
    repayment_method = _term("repayment_method")
    minimum_charge = _term("minimum_charge")
    fixed_fee = _term("fixed_fee")


class SegmentPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "products.SegmentPrice"

    product = factory.SubFactory(ProductFactory)
    segment = factory.SubFactory(SegmentFactory, code="vip")
    rate_adjustment = D("-0.010000")
