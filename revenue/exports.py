"""Files for finance: a statement as CSV or XLSX, and the transaction detail as CSV streamed
row by row (``StreamingHttpResponse`` over a server-side cursor: memory stays flat)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from .models import Statement
from .selectors import EXPORT_COLUMNS, transaction_export_rows

STATEMENT_COLUMNS = (
    "scenario",
    "product",
    "kind",
    "transaction_count",
    "gross_amount",
    "share_amount",
    "adjusts",
)


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
        list(STATEMENT_COLUMNS),
    ]
    for line in statement.lines.all():
        rows.append(
            [
                line.scenario_code,
                line.product.code if line.product else "",
                line.kind,
                line.transaction_count,
                f"{line.gross_amount:.2f}",
                f"{line.share_amount:.2f}",
                line.adjusts_id or "",
            ]
        )
    rows += [
        [],
        [_("Transactions"), statement.transaction_count],
        [_("Gross amount"), f"{statement.gross_amount:.2f}"],
        [_("Share"), f"{statement.share_amount:.2f}"],
        [_("Adjustments"), f"{statement.adjustment_amount:.2f}"],
        [_("Payable"), f"{statement.share_amount + statement.adjustment_amount:.2f}"],
    ]
    return rows


def _filename(statement: Statement, ext: str) -> str:
    return f"statement-{statement.partner.slug}-{statement.scenario_code}-{statement.period_start}.{ext}"


def statement_csv(statement: Statement) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(statement, "csv")}"'
    response.write("\ufeff")  # Excel opens UTF-8 (Chinese names) correctly with a BOM
    csv.writer(response).writerows(statement_rows(statement))
    return response


def statement_xlsx(statement: Statement) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(statement.period_start))
    for row in statement_rows(statement):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(statement, "xlsx")}"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text line by line (with a BOM for Excel), for a streaming response."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([v.isoformat() if hasattr(v, "isoformat") else v for v in row])


def transactions_csv(queryset, *, filename: str = "transactions.csv") -> StreamingHttpResponse:
    """The transaction detail of ``queryset``, streamed from a server-side cursor."""

    def rows() -> Iterator[Iterable]:
        yield EXPORT_COLUMNS
        yield from transaction_export_rows(queryset)

    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
