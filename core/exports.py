"""Every CSV and XLSX file the project writes goes through here: one rule for every cell.

- **Text never becomes a live formula** (OWASP, "CSV Injection"). A spreadsheet reads a cell
  that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula, and
  partners choose their legal names, display names and ``external_id`` s. Such text is written
  with a leading single quote, which the spreadsheet shows and never evaluates. Text that is
  exactly a plain number (``-12.50``, as import-export renders numbers in CSV) is left alone: a
  spreadsheet reads it as that number, never as a formula.
- **Numbers stay numbers.** ``int``, ``Decimal`` and ``float`` values are never escaped: a
  negative amount is a number, not a partner's string. Amounts are passed as :class:`Money`:
  two decimals (half up to the fen) in CSV, a numeric cell with the money format
  (``#,##0.00``) in XLSX. Rates (fractions, ``0.099``) are passed as :class:`Rate`: the
  fraction in CSV, a numeric cell in the percent format (``9.90%``) in XLSX.
- Dates and times are written in ISO 8601; characters XLSX cannot hold (control characters) are
  replaced rather than failing the download.

The import/export admin (django-import-export) escapes through :class:`EscapedExportResource`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import tablib
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font

from .fen import to_fen

# What makes a spreadsheet evaluate a text cell (OWASP CSV injection guidance).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"


CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # Excel opens UTF-8 (Chinese names) correctly only with it


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a file: a number with two decimals, never text."""

    amount: Decimal

    def __str__(self) -> str:
        return f"{self.amount:.2f}"


def money(value: Decimal | int | str | None) -> Money | None:
    """``value`` as a :class:`Money` cell, rounded half up to the fen (``None`` stays empty)."""
    if value is None:
        return None
    return Money(to_fen(Decimal(value)))


@dataclass(frozen=True, slots=True)
class Rate:
    """A rate in a file (a fraction: ``0.099`` is 9.90 %): a number, shown as a percentage."""

    fraction: Decimal

    def __str__(self) -> str:
        return str(self.fraction)


def rate(value: Decimal | int | str | None) -> Rate | None:
    """``value`` (a fraction) as a :class:`Rate` cell (``None`` stays empty)."""
    return None if value is None else Rate(Decimal(value))


def text_escape(value: str) -> str:
    """``value`` made inert for a spreadsheet: a leading single quote before a formula prefix."""
    if value.startswith(FORMULA_PREFIXES) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def text_unescape(value: str) -> str:
    """The text :func:`text_escape` wrote, as it was: files exported, edited and imported
    again keep their names (a leading quote before a formula prefix is taken off)."""
    if value.startswith("'") and text_escape(value[1:]) != value[1:]:
        return value[1:]
    return value


def cell_escape(value):
    """Text escaped by :func:`text_escape`; numbers, dates and everything else as they are."""
    return text_escape(value) if isinstance(value, str) else value


def _plain(value):
    """A cell as CSV writes it: money with two decimals, dates in ISO 8601, text escaped."""
    if isinstance(value, (Money, Rate)):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return cell_escape(value)


def _xlsx_cell(sheet, value):
    if isinstance(value, Money):
        cell = WriteOnlyCell(sheet, value=value.amount)
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(value, Rate):
        cell = WriteOnlyCell(sheet, value=value.fraction)
        cell.number_format = PERCENT_FORMAT
        return cell
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", text_escape(value))
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV text line by line (a BOM first), every cell through the rule above."""
    writer = csv.writer(_Echo())
    yield BOM
    for row in rows:
        yield writer.writerow([_plain(value) for value in row])


def xlsx_bytes(rows: Iterable[Iterable], *, title: str, header_rows: Iterable[int] = ()) -> bytes:
    """One worksheet of ``rows`` (bold where the row index is in ``header_rows``)."""
    bold = Font(bold=True)
    headers = set(header_rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "Sheet")
    for index, row in enumerate(rows):
        cells = [_xlsx_cell(sheet, value) for value in row]
        if index in headers:
            cells = [_bold(sheet, cell, bold) for cell in cells]
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bold(sheet, cell, font: Font) -> Cell:
    if not isinstance(cell, Cell):
        cell = WriteOnlyCell(sheet, value=cell)
    cell.font = font
    return cell


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str):
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def csv_response(rows: Iterable[Iterable], *, filename: str) -> HttpResponse:
    """A small CSV download built in memory."""
    return _attachment(HttpResponse("".join(csv_lines(rows)), content_type=CSV_CONTENT_TYPE), filename)


def csv_streaming_response(rows: Iterable[Iterable], *, filename: str) -> StreamingHttpResponse:
    """A CSV download written row by row as ``rows`` yields them (memory stays flat)."""
    return _attachment(StreamingHttpResponse(csv_lines(rows), content_type=CSV_CONTENT_TYPE), filename)


def xlsx_response(
    rows: Iterable[Iterable], *, filename: str, title: str, header_rows: Iterable[int] = ()
) -> HttpResponse:
    body = xlsx_bytes(rows, title=title, header_rows=header_rows)
    return _attachment(HttpResponse(body, content_type=XLSX_CONTENT_TYPE), filename)


class SpreadsheetDataset(tablib.Dataset):
    """A tablib dataset whose XLSX goes through :func:`xlsx_bytes` (money cells in the money
    format, the cell rule); every other format is tablib's."""

    def export(self, format, **kwargs):
        if format == "xlsx":
            return xlsx_bytes([self.headers or [], *self], title=self.title or "Sheet", header_rows=[0])
        return super().export(format, **kwargs)


class EscapedExportResource:
    """A django-import-export resource whose exports follow the rule above, whatever the file
    format (CSV cells arrive as text, XLSX cells keep their native types), and whose imports take
    the quote off again so that an exported file can be edited and imported unchanged. The
    fields named in ``money_fields`` are money cells in XLSX.

    The library's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is not used: it only strips a
    leading ``=`` (``+``, ``-``, ``@``, tab and carriage return stay live), loses that character,
    and turns every cell into text (numbers too, an empty cell into ``"None"``)."""

    money_fields: tuple[str, ...] = ()

    def export_field(self, field, instance, **kwargs):
        # force_native_type: the admin's binary formats (XLSX), where cells keep their types
        if field.attribute in self.money_fields and kwargs.get("force_native_type"):
            return money(field.get_value(instance))
        return cell_escape(super().export_field(field, instance, **kwargs))

    def export(self, queryset=None, **kwargs):
        dataset = super().export(queryset, **kwargs)
        return SpreadsheetDataset(*dataset, headers=dataset.headers, title=dataset.title)

    def before_import_row(self, row, **kwargs):
        for key, value in list(row.items()):
            if isinstance(value, str):
                row[key] = text_unescape(value)
        super().before_import_row(row, **kwargs)
