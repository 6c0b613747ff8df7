"""Agreement terms in the admin read as finance: rates as percentages, amounts as money."""

from __future__ import annotations

from django.utils import translation

from revenue.terms import terms_in_words as terms_text

NBSP = "\N{NO-BREAK SPACE}"
TIERS = {"tiers": [{"up_to": "1000.00", "rate": "0.1"}, {"up_to": None, "rate": "0.2"}]}


def test_terms_show_rates_as_percentages_and_amounts_as_money():
    with translation.override("en"):
        assert terms_text("percentage", {"rate": "0.300000"}, "CNY") == f"30.00{NBSP}%"
        assert (
            terms_text("tiered", TIERS, "CNY")
            == f"up to 1,000.00{NBSP}CNY: 10.00{NBSP}%; above: 20.00{NBSP}%"
        )
        assert (
            terms_text("fixed_per_transaction", {"amount": "2.50"}, "CNY") == f"2.50{NBSP}CNY per transaction"
        )


def test_terms_read_in_chinese():
    with translation.override("zh-hans"):
        assert terms_text("fixed_per_transaction", {"amount": "2.50"}, "CNY") == f"每笔交易 2.50{NBSP}CNY"


def test_unreadable_terms_are_shown_as_they_are():
    assert terms_text("percentage", {"ratio": "x"}, "CNY") == '{"ratio": "x"}'
