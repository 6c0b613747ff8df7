"""Money shown as money, one way everywhere (core.money, the ``money`` template library)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.money import money_column, money_text, percent_column, percent_text
from products.models import Product
from revenue.models import Statement

NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture(params=["en", "zh-hans"])
def language(request):
    with translation.override(request.param):
        yield request.param


def test_an_amount_has_two_decimals_thousands_separators_and_its_currency(language):
    assert money_text(Decimal("964385.21"), "CNY") == f"964,385.21{NBSP}CNY"
    assert money_text(Decimal("1234567.8")) == "1,234,567.80"
    assert money_text(Decimal("7")) == "7.00"


def test_float_noise_of_an_old_aggregate_is_not_shown(language):
    assert money_text(Decimal("964385.209999999"), "CNY") == f"964,385.21{NBSP}CNY"
    assert money_text(Decimal("70389.1100000000")) == "70,389.11"


def test_big_and_negative_amounts(language):
    assert money_text(Decimal("99999999999999.99")) == "99,999,999,999,999.99"
    assert money_text(Decimal("-1122.98"), "CNY") == f"-1,122.98{NBSP}CNY"
    assert money_text(Decimal("-0.004")) == "0.00"  # less than half a fen: no amount to owe


def test_half_a_fen_rounds_up_and_no_amount_is_a_dash(language):
    assert money_text(Decimal("0.005")) == "0.01"
    assert money_text(None) == "\N{EM DASH}"


def test_a_rate_is_a_percentage(language):
    assert percent_text(Decimal("0.099000")) == f"9.90{NBSP}%"
    assert percent_text(Decimal("0.123456")) == f"12.35{NBSP}%"
    assert percent_text(Decimal("-0.005")) == f"-0.50{NBSP}%"
    assert percent_text(None) == "\N{EM DASH}"


def test_the_template_tags_mark_negatives_and_write_rates(language):
    html = Template(
        "{% load money %}{% money a 'CNY' %}|{% money b %}|{{ r|percent }}|{{ none|percent }}"
    ).render(Context({"a": Decimal("-12.5"), "b": Decimal("3000"), "r": Decimal("0.3")}))

    assert html == (
        f'<span class="money money-negative">-12.50{NBSP}CNY</span>|<span class="money">3,000.00</span>'
        f"|30.00{NBSP}%|\N{EM DASH}"
    )


def test_the_tag_refuses_nothing_it_cannot_read():
    html = Template("{% load money %}{% money a %}|{{ a|percent }}").render(Context({"a": "n/a"}))

    assert html == "\N{EM DASH}|\N{EM DASH}"


def test_admin_columns_write_money_and_percentages():
    statement = Statement(gross_amount=Decimal("-1234.5"), currency="CNY")
    column = money_column(Statement, "gross_amount")

    assert column(None, statement) == f'<span class="money money-negative">-1,234.50{NBSP}CNY</span>'
    assert column.short_description == Statement._meta.get_field("gross_amount").verbose_name
    assert column.admin_order_field == "gross_amount"

    assert percent_column(Product, "rate")(None, Product(rate=Decimal("0.129000"))) == f"12.90{NBSP}%"
