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
from core.i18n import localized

from .models import Statement, StatementLine, Transaction
from .selectors import EXPORT_COLUMNS, transaction_export_rows

# The column names people read (in their language), never the lookups behind them. Each code
# a machine reads keeps its own column, named as a code ("Product code"), beside the name or
# label people read.
STATEMENT_COLUMNS = (
    gettext_lazy("Scenario"),
    gettext_lazy("Scenario code"),
    gettext_lazy("Product"),
    gettext_lazy("Product code"),
    gettext_lazy("Kind"),
    gettext_lazy("Kind code"),
    gettext_lazy("Transactions"),
    gettext_lazy("Gross amount"),
    gettext_lazy("Share"),
    gettext_lazy("Adjusts statement"),
)
# The row of the column names in ``statement_rows`` (bold in XLSX).
STATEMENT_HEADER_ROW = 3


def _local(row: dict, path: str) -> str:
    """A name read with ``.values()`` in the user's language: its ``_zh`` twin in Chinese."""
    return localized(row, path)


def _label(choices, path: str):
    labels = dict(choices.choices)
    return lambda row: str(labels.get(row[path], row[path]))


def _field(path: str):
    return lambda row: row[path]


# The transaction detail's columns: (header, the cell from a row of ``EXPORT_COLUMNS``).
TRANSACTION_COLUMNS = (
    (gettext_lazy("Transaction"), _field("id")),
    (gettext_lazy("Partner"), _field("partner__display_name")),
    (gettext_lazy("Partner code"), _field("partner__slug")),
    (gettext_lazy("External id"), _field("external_id")),
    (gettext_lazy("Scenario"), lambda row: _local(row, "scenario__name")),
    (gettext_lazy("Scenario code"), _field("scenario_code")),
    (gettext_lazy("Product"), lambda row: _local(row, "product__name")),
    (gettext_lazy("Product code"), _field("product__code")),
    (gettext_lazy("Kind"), _label(Transaction.Kind, "kind")),
    (gettext_lazy("Kind code"), _field("kind")),
    (gettext_lazy("Amount"), lambda row: money(row["amount"])),
    (gettext_lazy("Currency"), _field("currency")),
    (gettext_lazy("Occurred at"), _field("occurred_at")),
    (gettext_lazy("Business date"), _field("occurred_on")),
    (gettext_lazy("Received at"), _field("received_at")),
    (gettext_lazy("Source"), _label(Transaction.Source, "source")),
    (gettext_lazy("Source code"), _field("source")),
    (gettext_lazy("Statement"), _field("statement_id")),
)
KIND_LABELS = dict(StatementLine.Kind.choices)


def statement_rows(statement: Statement) -> list[list]:
    """Header, one row per line, and the totals (lines prefetched with their product; the
    agreement's scenario names the statement's: one query each)."""
    scenario = statement.agreement.scenario
    status = statement.api_status
    rows: list[list] = [
        [
            _("Statement"),
            statement.pk,
            _("Partner"),
            str(statement.partner),
            _("Scenario"),
            scenario.local_name,
            _("Scenario code"),
            statement.scenario_code,
        ],
        [
            _("Period"),
            statement.period_start.isoformat(),
            statement.period_end.isoformat(),
            _("Status"),
            str(Statement.Status(status).label),
            _("Status code"),
            status,
            _("Currency"),
            statement.currency,
        ],
        [],
        [str(name) for name in STATEMENT_COLUMNS],
    ]
    for line in statement.lines.all():
        same_scenario = line.scenario_code == statement.scenario_code
        rows.append(
            [
                scenario.local_name if same_scenario else line.scenario_code,
                line.scenario_code,
                line.product.local_name if line.product else "",
                line.product.code if line.product else "",
                str(KIND_LABELS.get(line.kind, line.kind)),
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
    for values in rows:
        row = dict(zip(EXPORT_COLUMNS, values, strict=True))
        yield [cell(row) for _header, cell in TRANSACTION_COLUMNS]


def transactions_csv(queryset, *, filename: str = "transactions.csv") -> StreamingHttpResponse:
    """The transaction detail of ``queryset``, streamed from a server-side cursor."""

    def rows() -> Iterator[Iterable]:
        yield [str(header) for header, _cell in TRANSACTION_COLUMNS]
        yield from _transaction_cells(transaction_export_rows(queryset))

    return csv_streaming_response(rows(), filename=filename)
