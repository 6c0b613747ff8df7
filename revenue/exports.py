"""Files for finance: a statement as CSV or XLSX, and the transaction detail as CSV streamed
row by row (``StreamingHttpResponse`` over a server-side cursor: memory stays flat).

Every cell goes through ``core.exports``: partners' text never becomes a live formula, amounts
are numbers (XLSX: numeric cells in the money format)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exports import csv_response, csv_streaming_response, money, xlsx_response

from .models import Statement
from .selectors import EXPORT_COLUMNS, transaction_export_rows

# The column names people read (in their language), never the lookups behind them.
STATEMENT_COLUMNS = (
    gettext_lazy("Scenario"),
    gettext_lazy("Product"),
    gettext_lazy("Kind"),
    gettext_lazy("Transactions"),
    gettext_lazy("Gross amount"),
    gettext_lazy("Share"),
    gettext_lazy("Adjusts statement"),
)
# ``EXPORT_COLUMNS`` of the transaction detail, in words.
TRANSACTION_HEADERS = {
    "id": gettext_lazy("Transaction"),
    "partner__slug": gettext_lazy("Partner"),
    "external_id": gettext_lazy("External id"),
    "scenario_code": gettext_lazy("Scenario"),
    "product__code": gettext_lazy("Product"),
    "kind": gettext_lazy("Kind"),
    "amount": gettext_lazy("Amount"),
    "currency": gettext_lazy("Currency"),
    "occurred_at": gettext_lazy("Occurred at"),
    "occurred_on": gettext_lazy("Business date"),
    "received_at": gettext_lazy("Received at"),
    "source": gettext_lazy("Source"),
    "statement_id": gettext_lazy("Statement"),
}
# The row of the column names in ``statement_rows`` (bold in XLSX).
STATEMENT_HEADER_ROW = 3
AMOUNT_INDEX = EXPORT_COLUMNS.index("amount")


def statement_rows(statement: Statement) -> list[list]:
    """Header, one row per line, and the totals (lines prefetched with their product)."""
    rows: list[list] = [
        [
            _("Statement"),
            statement.pk,
            _("Partner"),
            str(statement.partner),
            _("Scenario"),
            statement.scenario_code,
        ],
        [
            _("Period"),
            statement.period_start.isoformat(),
            statement.period_end.isoformat(),
            _("Status"),
            statement.api_status,
            _("Currency"),
            statement.currency,
        ],
        [],
        [str(name) for name in STATEMENT_COLUMNS],
    ]
    for line in statement.lines.all():
        rows.append(
            [
                line.scenario_code,
                line.product.code if line.product else "",
                line.kind,
                line.transaction_count,
                money(line.gross_amount),
                money(line.share_amount),
                line.adjusts_id or "",
            ]
        )
    rows += [
        [],
        [_("Transactions"), statement.transaction_count],
        [_("Gross amount"), money(statement.gross_amount)],
        [_("Share"), money(statement.share_amount)],
        [_("Adjustments"), money(statement.adjustment_amount)],
        [_("Payable"), money(statement.share_amount + statement.adjustment_amount)],
    ]
    return rows


def _filename(statement: Statement, ext: str) -> str:
    return f"statement-{statement.partner.slug}-{statement.scenario_code}-{statement.period_start}.{ext}"


def statement_csv(statement: Statement) -> HttpResponse:
    return csv_response(statement_rows(statement), filename=_filename(statement, "csv"))


def statement_xlsx(statement: Statement) -> HttpResponse:
    return xlsx_response(
        statement_rows(statement),
        filename=_filename(statement, "xlsx"),
        title=str(statement.period_start),
        header_rows=[STATEMENT_HEADER_ROW],
    )


def _transaction_cells(rows: Iterable[tuple]) -> Iterator[list]:
    for row in rows:
        cells = list(row)
        cells[AMOUNT_INDEX] = money(cells[AMOUNT_INDEX])
        yield cells


def transactions_csv(queryset, *, filename: str = "transactions.csv") -> StreamingHttpResponse:
    """The transaction detail of ``queryset``, streamed from a server-side cursor."""

    def rows() -> Iterator[Iterable]:
        yield [str(TRANSACTION_HEADERS[column]) for column in EXPORT_COLUMNS]
        yield from _transaction_cells(transaction_export_rows(queryset))

    return csv_streaming_response(rows(), filename=filename)
