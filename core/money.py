"""Money aggregates that are exact on every database: the one way to sum an amount in SQL.

SQLite (the embedded default) keeps a decimal column's values as binary floating point and
``SUM`` adds them as such: ``Sum("amount")`` over enough rows comes back as
``964385.209999999``, a fraction of a fen off, and Django hands that back unquantized. A share
rounded from such a sum can be a fen wrong.

:class:`MoneySum` sums whole fen instead on SQLite: each value is turned into its integer number
of fen (``CAST(ROUND(x * 100) AS INTEGER)``; the binary value nearest a two-decimal amount of
up to ten billion is far closer than half a fen to it, so the rounding lands on the exact fen)
and SQLite adds integers exactly. The sum is divided back by 100 in SQL, so the value stays in
yuan wherever the query uses it (``HAVING``, ``ORDER BY``, an outer expression); the nearest
double of a fen amount below 10**13 reads back exactly to 15 digits, and the converter below
quantizes it. PostgreSQL sums ``numeric`` exactly: a plain ``SUM``.

Every money aggregate leaves the database quantized to the fen here, and nowhere else.
Counts (``calls``, ``quotes``) are integers and keep Django's ``Sum``.

The same module shows money as money (:func:`money_text`, :func:`percent_text`): two decimals,
the locale's thousands separator, the currency, a minus sign on negatives; a rate as a
percentage. Pages use them through the ``money`` template library (``{% money amount currency
%}``, ``{{ rate|percent }}``); the admin's columns, e-mails and charts' hover texts call them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib import admin
from django.db.models import Aggregate, DecimalField
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .fen import to_fen

HUNDRED = Decimal(100)
MISSING = "\N{EM DASH}"
# On SQLite: the sum of whole fen, and that sum back in yuan (see above).
_SQLITE_FEN_SUM = "SUM(CAST(ROUND((%(amount)s) * 100) AS INTEGER))"
# CAST … AS NUMERIC gives the value numeric affinity, as Django does for decimal expressions:
# SQLite then compares it with a bound Decimal (sent as text) as a number.
_SQLITE_YUAN = "CAST((%(fen)s) / 100.0 AS NUMERIC)"
# Wide enough for any total of the ledger (a transaction is at most 100 000 000.00).
MONEY_TOTAL_DIGITS = 20


class MoneySum(Aggregate):
    """``SUM`` of an amount (a decimal column or an expression of them), exact and quantized
    to the fen on SQLite and PostgreSQL. ``default`` (a Decimal, e.g. ``Decimal("0.00")``)
    replaces the ``None`` of an empty set; ``filter`` as for Django's aggregates.

    Usable in ``.aggregate()``, ``.annotate()`` and subqueries: the value is in yuan in SQL."""

    function = "SUM"
    name = "MoneySum"
    output_field = DecimalField(max_digits=MONEY_TOTAL_DIGITS, decimal_places=2)

    def __init__(self, expression, *, filter=None, default: Decimal | None = None):
        if default is not None and not isinstance(default, Decimal):
            raise TypeError("MoneySum's default must be a Decimal")
        # The default is applied inside this aggregate's own SQL (not Django's Coalesce
        # wrapper), so the quantizing converter below stays the outermost one.
        super().__init__(expression, filter=filter)
        self.money_default = default

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, **extra_context)
        return self._or_default(sql, params)

    def as_sqlite(self, compiler, connection, **extra_context):
        whole_fen = self.copy()
        whole_fen.template = _SQLITE_FEN_SUM % {"amount": "%(expressions)s"}
        sql, params = super(MoneySum, whole_fen).as_sql(compiler, connection, **extra_context)
        return self._or_default(_SQLITE_YUAN % {"fen": sql}, params)

    def _or_default(self, sql: str, params) -> tuple[str, tuple]:
        if self.money_default is None:
            return sql, tuple(params)
        return f"COALESCE({sql}, CAST(%s AS NUMERIC))", (*params, str(self.money_default))

    def convert_value(self, value, expression, connection):
        if value is None:
            return None
        return money_quantize(Decimal(value))


def money_quantize(value: Decimal) -> Decimal:
    """An aggregate's value to the fen (half up). A sum of fen amounts is already whole fen:
    this fixes its exponent (``Decimal("12.5")`` → ``12.50``) and drops the float's noise."""
    return to_fen(value)


def money_sum_sql(amount_sql: str, *, vendor: str) -> str:
    """``SUM(amount_sql)`` for hand-written SQL (``INSERT … SELECT`` roll-ups), exact as
    :class:`MoneySum` on ``vendor`` (``connection.vendor``). The result is not quantized: write
    it into a two-decimal column, whose reads are."""
    if vendor == "sqlite":
        return _SQLITE_YUAN % {"fen": _SQLITE_FEN_SUM % {"amount": amount_sql}}
    return f"SUM({amount_sql})"


def money_text(amount: Decimal | int | str | None, currency: str = "") -> str:
    """``amount`` as people read money: ``1,234,567.80 CNY``, ``-12.50 CNY`` (half up to the
    fen; separators of the active language); ``—`` for no amount."""
    if amount is None or amount == "":
        return MISSING
    figure = number_format(money_quantize(Decimal(amount)), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{figure}\N{NO-BREAK SPACE}{currency}" if currency else figure


def percent_text(rate: Decimal | int | str | None, places: int = 2) -> str:
    """A rate held as a fraction (``0.099``) as a percentage: ``9.90 %``; ``—`` for none."""
    if rate is None or rate == "":
        return MISSING
    value = (Decimal(rate) * HUNDRED).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    figure = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{figure}\N{NO-BREAK SPACE}%"


def money_html(amount: Decimal | int | str | None, currency: str = "") -> SafeString:
    """:func:`money_text` in ``<span class="money">``; a negative amount also carries
    ``money-negative`` (pages and admin lists mark it beyond the minus sign)."""
    negative = amount not in (None, "") and money_quantize(Decimal(amount)) < 0
    css = "money money-negative" if negative else "money"
    return format_html('<span class="{}">{}</span>', css, money_text(amount, currency))


def money_column(model, field: str, *, currency_field: str | None = "currency"):
    """An admin ``list_display`` column of ``model.field`` written as money (with the row's
    ``currency_field`` when it has one), sortable by the field."""
    label = model._meta.get_field(field).verbose_name

    @admin.display(description=label, ordering=field)
    def column(_admin, obj) -> SafeString:
        currency = getattr(obj, currency_field) if currency_field else ""
        return money_html(getattr(obj, field), currency)

    return column


def percent_column(model, field: str):
    """An admin ``list_display`` column of a rate held as a fraction, as a percentage."""
    label = model._meta.get_field(field).verbose_name

    @admin.display(description=label, ordering=field)
    def column(_admin, obj) -> str:
        return percent_text(getattr(obj, field))

    return column
