"""Reading the bank's statement: ISO 20022 camt.053 (any version from camt.053.001.02: the
namespace's version is not checked, the element names are) or the documented CSV.

Both give :class:`BankEntry` rows; nothing here touches the database. A file that cannot be
read raises :class:`BankFileError` naming the line or element. Hostile files are refused before
they are parsed: larger than ``BANK_STATEMENT_MAX_BYTES``; XML with a DOCTYPE (so no entity
expansion — billion laughs — and no external entity or DTD fetch); the parser also resolves no
entities, reads nothing from the network and refuses huge trees.

CSV columns (a header row, UTF-8, BOM allowed): ``end_to_end_id, amount, currency, value_date,
bank_reference, status`` — ``status`` is ``booked`` (paid), ``returned`` or ``pending``;
optional ``return_reason``. ``amount`` is positive with at most two decimals, ``value_date``
ISO 8601 (``2026-03-05``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from core.domain import DomainError

CSV_COLUMNS = ("end_to_end_id", "amount", "currency", "value_date", "bank_reference", "status")
CSV_STATUSES = ("booked", "returned", "pending")
CAMT_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d\d$")
AMOUNT = re.compile(r"^\d{1,20}(\.\d{1,2})?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class BankFileError(DomainError):
    """The file cannot be read as a bank statement (the message names where)."""

    code = "bank_file_invalid"


@dataclass(frozen=True)
class BankEntry:
    """One entry as the bank wrote it. ``debit``: money left our account (a payout);
    ``returned``: the bank gives back a payment (return information, or a reversal)."""

    end_to_end_id: str
    amount: Decimal
    currency: str
    debit: bool
    booked: bool
    value_date: date | None
    booking_date: date | None
    bank_reference: str
    returned: bool = False
    reversal: bool = False
    return_reason: str = ""


@dataclass(frozen=True)
class BankFile:
    file_format: str  # BankStatementImport.Format values: "camt053" or "csv"
    statement_id: str
    entries: list[BankEntry]


def bank_file_read(content: bytes, *, filename: str = "") -> BankFile:
    """Read ``content`` as camt.053 XML (it starts with ``<``) or else as CSV."""
    limit = settings.BANK_STATEMENT_MAX_BYTES
    if len(content) > limit:
        raise BankFileError(
            _("The file is larger than %(limit)s bytes: it is not read.") % {"limit": limit}, field="file"
        )
    if not content.strip():
        raise BankFileError(_("The file is empty."), field="file")
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<" or filename.lower().endswith(".xml"):
        return camt053_read(content)
    return csv_read(content)


# camt.053 ----------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element, *path: str):
    """The first descendant along ``path`` of local names (any namespace), or ``None``."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c) == name), None)
    return element


def _text(element, *path: str) -> str:
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _where(element) -> str:
    return f"<{_local(element)}> (line {element.sourceline})"


def _date(element, where_element, what: str) -> date | None:
    """``Dt`` or the date part of ``DtTm`` of ``element`` (``BookgDt``, ``ValDt``)."""
    if element is None:
        return None
    raw = _text(element, "Dt") or _text(element, "DtTm")[:10]
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BankFileError(
            _("%(what)s “%(value)s” in %(where)s is not a date.")
            % {"what": what, "value": raw[:20], "where": _where(where_element)},
            field="file",
        ) from exc


def camt053_read(content: bytes) -> BankFile:
    """The booked and pending entries of every ``Stmt`` of a camt.053 document."""
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise BankFileError(
            _("The XML is malformed (line %(line)s): %(error)s") % {"line": exc.lineno, "error": exc.msg},
            field="file",
        ) from exc
    tree = root.getroottree()
    if (
        tree.docinfo.doctype
        or tree.docinfo.internalDTD is not None
        or any(node.tag is etree.Entity for node in root.iter())
    ):
        raise BankFileError(
            _("The XML declares a DOCTYPE or entities: bank statements never do, it is refused."),
            field="file",
        )
    namespace = etree.QName(root).namespace or ""
    if _local(root) != "Document" or not CAMT_NAMESPACE.match(namespace):
        raise BankFileError(
            _("This is not a camt.053 bank statement (root %(root)s, namespace “%(ns)s”).")
            % {"root": f"<{_local(root)}>", "ns": namespace[:80]},
            field="file",
        )
    report = _child(root, "BkToCstmrStmt")
    if report is None:
        raise BankFileError(_("The document has no <BkToCstmrStmt>."), field="file")
    statements = [s for s in report if _local(s) == "Stmt"]
    if not statements:
        raise BankFileError(_("The document has no <Stmt>."), field="file")
    entries: list[BankEntry] = []
    for statement in statements:
        for ntry in (e for e in statement if _local(e) == "Ntry"):
            entries.extend(_camt_entries(ntry))
    return BankFile(file_format="camt053", statement_id=_text(statements[0], "Id")[:35], entries=entries)


def _amount(element, where_element) -> tuple[Decimal, str]:
    if element is None:
        raise BankFileError(_("%(where)s has no <Amt>.") % {"where": _where(where_element)}, field="file")
    raw = (element.text or "").strip()
    currency = (element.get("Ccy") or "").strip()
    if not AMOUNT.match(raw):
        raise BankFileError(
            _("The amount “%(value)s” in %(where)s is not an amount with at most two decimals.")
            % {"value": raw[:30], "where": _where(element)},
            field="file",
        )
    if not CURRENCY.match(currency):
        raise BankFileError(
            _("The currency “%(value)s” in %(where)s is not an ISO 4217 code.")
            % {"value": currency[:10], "where": _where(element)},
            field="file",
        )
    return Decimal(raw), currency


def _camt_entries(ntry) -> list[BankEntry]:
    amount, currency = _amount(_child(ntry, "Amt"), ntry)
    indicator = _text(ntry, "CdtDbtInd")
    if indicator not in ("DBIT", "CRDT"):
        raise BankFileError(
            _("%(where)s has no <CdtDbtInd> DBIT or CRDT.") % {"where": _where(ntry)}, field="file"
        )
    # camt.053.001.02: <Sts>BOOK</Sts>; later versions: <Sts><Cd>BOOK</Cd></Sts>.
    status = _text(ntry, "Sts") or _text(ntry, "Sts", "Cd")
    reversal = _text(ntry, "RvslInd").lower() in ("true", "1")
    booking = _date(_child(ntry, "BookgDt"), ntry, _("The booking date"))
    value = _date(_child(ntry, "ValDt"), ntry, _("The value date"))
    if status == "BOOK" and booking is None and value is None:
        raise BankFileError(
            _("%(where)s is booked but has no <BookgDt> or <ValDt>.") % {"where": _where(ntry)},
            field="file",
        )
    entry_reference = _text(ntry, "AcctSvcrRef") or _text(ntry, "NtryRef")
    details = [t for d in ntry if _local(d) == "NtryDtls" for t in d if _local(t) == "TxDtls"]
    common = {
        "debit": indicator == "DBIT",
        "booked": status == "BOOK",
        "value_date": value,
        "booking_date": booking,
        "reversal": reversal,
    }
    if len(details) <= 1:
        tx = details[0] if details else None
        return [_camt_entry(tx, amount, currency, entry_reference, common)]
    # A batched entry: one transaction per payout, each with its own amount.
    rows = []
    for tx in details:
        tx_amount = _child(tx, "AmtDtls", "TxAmt", "Amt")
        if tx_amount is None:
            tx_amount = _child(tx, "Amt")
        if tx_amount is None:
            raise BankFileError(
                _("%(where)s of a batched entry has no amount of its own.") % {"where": _where(tx)},
                field="file",
            )
        tx_value, tx_currency = _amount(tx_amount, tx)
        tx_debit = _text(tx, "CdtDbtInd")
        tx_common = {**common, "debit": tx_debit == "DBIT"} if tx_debit in ("DBIT", "CRDT") else common
        rows.append(_camt_entry(tx, tx_value, tx_currency, entry_reference, tx_common))
    return rows


def _camt_entry(tx, amount: Decimal, currency: str, entry_reference: str, common: dict) -> BankEntry:
    end_to_end = _text(tx, "Refs", "EndToEndId") if tx is not None else ""
    if end_to_end == "NOTPROVIDED":
        end_to_end = ""
    reference = (_text(tx, "Refs", "AcctSvcrRef") if tx is not None else "") or entry_reference
    return_info = _child(tx, "RtrInf") if tx is not None else None
    reason = ""
    if return_info is not None:
        reason = " ".join(
            part
            for part in (
                _text(return_info, "Rsn", "Cd") or _text(return_info, "Rsn", "Prtry"),
                _text(return_info, "AddtlInf"),
            )
            if part
        )
    return BankEntry(
        end_to_end_id=end_to_end[:35],
        amount=amount,
        currency=currency,
        bank_reference=reference[:100],
        returned=return_info is not None or common["reversal"],
        return_reason=(reason or ("reversal" if common["reversal"] else ""))[:140],
        **common,
    )


# CSV ---------------------------------------------------------------------------------------


def csv_read(content: bytes) -> BankFile:
    """The rows of the documented CSV (see the module's docstring)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankFileError(_("The CSV is not UTF-8 text."), field="file") from exc
    if "\x00" in text:
        raise BankFileError(_("The file is not text."), field="file")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip() for name in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise BankFileError(
            _("The CSV has no column %(columns)s (line 1 must name %(expected)s).")
            % {"columns": ", ".join(missing), "expected": ", ".join(CSV_COLUMNS)},
            field="file",
        )
    reader.fieldnames = header
    entries = []
    try:
        for row in reader:
            line = reader.line_num
            if not any((v or "").strip() for k, v in row.items() if k is not None):
                continue
            entries.append(_csv_entry({k: (v or "").strip() for k, v in row.items() if k}, line))
    except csv.Error as exc:
        raise BankFileError(
            _("The CSV is malformed (line %(line)s): %(error)s") % {"line": reader.line_num, "error": exc},
            field="file",
        ) from exc
    return BankFile(file_format="csv", statement_id="", entries=entries)


def _csv_error(line: int, column: str, value: str, problem: str) -> BankFileError:
    return BankFileError(
        _("Line %(line)s, %(column)s “%(value)s”: %(problem)s")
        % {"line": line, "column": column, "value": value[:40], "problem": problem},
        field="file",
    )


def _csv_entry(row: dict, line: int) -> BankEntry:
    raw = row["amount"]
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = None
    if amount is None or not AMOUNT.match(raw):
        raise _csv_error(line, "amount", raw, _("a positive amount with at most two decimals"))
    currency = row["currency"].upper()
    if not CURRENCY.match(currency):
        raise _csv_error(line, "currency", row["currency"], _("an ISO 4217 code such as CNY"))
    try:
        value_date = date.fromisoformat(row["value_date"]) if row["value_date"] else None
    except ValueError as exc:
        raise _csv_error(line, "value_date", row["value_date"], _("a date such as 2026-03-05")) from exc
    status = row["status"].lower()
    if status not in CSV_STATUSES:
        raise _csv_error(line, "status", row["status"], _("one of booked, returned, pending"))
    if value_date is None and status != "pending":
        raise _csv_error(line, "value_date", "", _("a date such as 2026-03-05"))
    if len(row["end_to_end_id"]) > 35:
        raise _csv_error(line, "end_to_end_id", row["end_to_end_id"], _("at most 35 characters"))
    if len(row["bank_reference"]) > 100:
        raise _csv_error(line, "bank_reference", row["bank_reference"], _("at most 100 characters"))
    return BankEntry(
        end_to_end_id=row["end_to_end_id"],
        amount=amount,
        currency=currency,
        debit=status != "returned",
        booked=status != "pending",
        value_date=value_date,
        booking_date=value_date,
        bank_reference=row["bank_reference"],
        returned=status == "returned",
        return_reason=row.get("return_reason", "")[:140],
    )
