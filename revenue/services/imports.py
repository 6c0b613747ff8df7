"""Staff imports of partner transaction files (CSV or XLSX): streamed row by row, every row
checked, row-level errors reported, and nothing written unless every row is valid. The rows go
in through the same database-decided idempotency as the API (``ledger_store``) in batches, in
one transaction: a file imported twice creates nothing the second time.

A job always ends, ``succeeded`` or ``failed`` with its reason: every bad value is a row error,
anything unexpected fails the job with what happened, and a job whose worker died (no
heartbeat for ``IMPORT_STALL_MINUTES``) is ended by the watchdog (``recovery``)."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import enqueue_on_commit

from ..exceptions import RevenueError, TransactionInvalid
from ..models import Transaction, TransactionImport
from ..money import TRANSACTION_AMOUNT_MAX
from ._common import require
from .ledger import LedgerRow, ledger_row, ledger_store, offer_attributed, offers_named, partner_catalog

logger = logging.getLogger(__name__)

COLUMNS = ("external_id", "scenario", "product", "kind", "amount", "currency", "occurred_at")
OPTIONAL = ("customer_id", "refund_of", "offer_id")
MAX_ERRORS = 200
# Rows checked between two writes of the progress (and heartbeat) on the job.
PROGRESS_EVERY = 1000
SHANGHAI = ZoneInfo("Asia/Shanghai")
KINDS = frozenset(Transaction.Kind.values)
# Money as plain ASCII digits with at most two decimals: no sign, exponent, separators or
# other scripts' digits (``Decimal`` would take "1e30", "1_000" and "١٠٠").
AMOUNT = re.compile(r"[0-9]+(\.[0-9]{1,2})?", re.ASCII)
# Nothing before this was ever reported through the portal; earlier years (year 1 …) are typos.
EARLIEST = datetime(2000, 1, 1, tzinfo=SHANGHAI)


def _sheet(handle):
    """The first sheet of an .xlsx file, read only (values, not formulas)."""
    from openpyxl import load_workbook  # noqa: PLC0415 - heavy, and only .xlsx files need it

    return load_workbook(handle, read_only=True, data_only=True).active


def _rows(job: TransactionImport) -> Iterator[list[str]]:
    """The file's rows as lists of strings (header first), streamed."""
    name = job.file.name.lower()
    with job.file.open("rb") as handle:
        if name.endswith(".xlsx"):
            sheet = _sheet(handle)
            for values in sheet.iter_rows(values_only=True):
                yield [
                    "" if v is None else (v.isoformat() if isinstance(v, datetime) else str(v))
                    for v in values
                ]
            return
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        yield from csv.reader(text)


def _row_count(job: TransactionImport, *, limit: int) -> int:
    """How many rows the file holds under its header (counted up to ``limit`` + 1), for the
    progress bar: a CSV's non-empty rows counted (cheap next to checking them); an XLSX sheet's
    stated size (it may count empty rows at the end, so the bar may jump to the end), 0 when
    the sheet does not state it."""
    if job.file.name.lower().endswith(".xlsx"):
        with job.file.open("rb") as handle:
            return max(0, (_sheet(handle).max_row or 1) - 1)
    filled = (raw for raw in _rows(job) if any(cell.strip() for cell in raw))
    return max(0, sum(1 for _row in islice(filled, limit + 2)) - 1)


def _parse(values: dict[str, str]) -> dict:
    """One row as the ledger's input; raises ``TransactionInvalid`` naming the column."""
    item: dict = {"external_id": values["external_id"].strip()}
    if not item["external_id"] or len(item["external_id"]) > 100:
        raise TransactionInvalid(_("Give an id of 1 to 100 characters."), field="external_id")
    item["scenario"] = values["scenario"].strip()
    item["product"] = values["product"].strip()
    item["kind"] = values["kind"].strip().lower()
    if item["kind"] not in KINDS:
        raise TransactionInvalid(_("Use sale or refund."), field="kind")
    raw_amount = values["amount"].strip()
    if not AMOUNT.fullmatch(raw_amount):
        raise TransactionInvalid(_("Give an amount like 1234.50."), field="amount")
    amount = Decimal(raw_amount)
    if not Decimal("0.01") <= amount <= TRANSACTION_AMOUNT_MAX:
        raise TransactionInvalid(
            _("The amount must be from 0.01 to %(limit)s.") % {"limit": f"{TRANSACTION_AMOUNT_MAX:,.2f}"},
            field="amount",
        )
    item["amount"] = amount
    item["currency"] = (values.get("currency") or "").strip().upper() or "CNY"
    try:
        occurred = datetime.fromisoformat(values["occurred_at"].strip())
        occurred = occurred if occurred.tzinfo else occurred.replace(tzinfo=SHANGHAI)
        occurred.astimezone(UTC)  # a time near year 1 or 9999 does not fit once moved to UTC
    except (ValueError, OverflowError):
        raise TransactionInvalid(
            _("Give a time in ISO 8601, e.g. 2026-01-15T10:00:00+08:00."), field="occurred_at"
        ) from None
    if occurred < EARLIEST:
        raise TransactionInvalid(_("Give a time from 2000-01-01 on."), field="occurred_at")
    item["occurred_at"] = occurred
    if values.get("refund_of", "").strip():
        item["refund_of"] = values["refund_of"].strip()
    if values.get("customer_id"):
        item["customer_id"] = values["customer_id"].strip()[:100]
    offer_id = (values.get("offer_id") or "").strip()
    if offer_id:
        if len(offer_id) > 40:
            raise TransactionInvalid(_("At most %(n)d characters.") % {"n": 40}, field="offer_id")
        item["offer_id"] = offer_id
    return item


def transaction_import_create(*, partner, file, actor) -> TransactionImport:
    """Store the upload and queue its import on the settlement workers."""
    require(actor, "revenue.import_transaction")
    job = TransactionImport.objects.create(partner=partner, file=file, created_by=actor)
    enqueue_on_commit("revenue.tasks.transaction_import", job.pk)
    return job


def transaction_import_run(*, import_id: int) -> TransactionImport:
    """Check every row, then write them all (or none). Progress and errors land on the job,
    and the job always ends: ``succeeded``, or ``failed`` with the reason."""
    job = TransactionImport.objects.select_related("partner").get(pk=import_id)
    if job.status in (TransactionImport.Status.SUCCEEDED, TransactionImport.Status.FAILED):
        return job
    started = timezone.now()
    TransactionImport.objects.filter(pk=job.pk).update(
        status=TransactionImport.Status.RUNNING, started_at=started, heartbeat_at=started
    )
    try:
        return _import(job)
    except RevenueError as exc:
        return _finish(job, failed=True, errors=[{"row": 1, "field": "", "message": exc.message}], total=0)
    except Exception as exc:  # the job ends with the reason, whatever happened
        logger.exception("transaction import %s stopped", job.pk)
        message = _("The import stopped on an unexpected error (%(error)s); nothing was written.") % {
            "error": exc.__class__.__name__
        }
        return _finish(job, failed=True, errors=[{"row": 0, "field": "", "message": message}], total=0)


def _row_error(errors: list[dict], number: int, field: str, message: str) -> None:
    """Keep the first ``MAX_ERRORS`` errors in full and count the rest."""
    if len(errors) < MAX_ERRORS:
        errors.append({"row": number, "field": field, "message": message})
    else:
        errors.append({"row": number, "field": "", "message": ""})


def _import(job: TransactionImport) -> TransactionImport:
    errors: list[dict] = []
    rows: list[LedgerRow] = []
    seen: dict[str, int] = {}
    # Sales naming an offer: (position in rows, row number, offer id, product, occurred_at),
    # checked against the offer log once every row is read (one read per many rows).
    claims: list[tuple[int, int, str, str, datetime]] = []
    catalog = partner_catalog(partner=job.partner)
    # Counted before the rows are read: both open the job's one file object, which a ``with``
    # closes at its end.
    total = _row_count(job, limit=settings.REVENUE_IMPORT_MAX_ROWS)
    TransactionImport.objects.filter(pk=job.pk).update(rows_total=total, heartbeat_at=timezone.now())
    checked = 0
    now = timezone.now()
    ops = connection.ops
    reader = _rows(job)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise RevenueError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    index = {name: header.index(name) for name in (*COLUMNS, *OPTIONAL) if name in header}
    for number, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        if len(rows) + len(errors) >= settings.REVENUE_IMPORT_MAX_ROWS:
            raise RevenueError(
                _("The file has more than %(n)d rows.") % {"n": settings.REVENUE_IMPORT_MAX_ROWS}
            )
        checked += 1
        if checked % PROGRESS_EVERY == 0:
            TransactionImport.objects.filter(pk=job.pk).update(
                rows_done=checked, rows_total=max(total, checked), heartbeat_at=timezone.now()
            )
        values = {name: (raw[i] if i < len(raw) else "") for name, i in index.items()}
        try:
            item = _parse(values)
            # No ``offers``: a sale's offer is checked below, with the whole file's.
            row = ledger_row(job.partner_id, item, catalog, number, now, Transaction.Source.IMPORT, ops)
        except TransactionInvalid as exc:
            _row_error(errors, number, (exc.field or "").rsplit(".", 1)[-1], exc.message)
            continue
        if row.external_id in seen:
            _row_error(
                errors, number, "external_id", _("Repeats row %(row)d.") % {"row": seen[row.external_id]}
            )
            continue
        seen[row.external_id] = number
        if row.offer_id and row.kind == Transaction.Kind.SALE:
            claims.append((len(rows), number, row.offer_id, item["product"], item["occurred_at"]))
        rows.append(row)
    if claims:
        offers = offers_named(partner_id=job.partner_id, claims=[(c[2], c[4]) for c in claims])
        for position, number, offer_id, product, occurred_at in claims:
            try:
                quoted_at = offer_attributed(
                    offers, offer_id=offer_id, product=product, occurred_at=occurred_at, field="offer_id"
                )
            except TransactionInvalid as exc:
                _row_error(errors, number, "offer_id", exc.message)
                continue
            rows[position] = rows[position]._replace(offer_quoted_at=ops.adapt_datetimefield_value(quoted_at))
        errors.sort(key=lambda error: error["row"])
    if errors:
        return _finish(job, failed=True, errors=errors, total=len(rows) + len(errors))
    # Every row checked: what is left is writing them, in one transaction (the page says so).
    TransactionImport.objects.filter(pk=job.pk).update(
        rows_done=len(rows), rows_total=len(rows), heartbeat_at=timezone.now()
    )
    # Refunds are checked against their sales while stored: their errors name the row too.
    labels = {r.external_id: f"transactions.{seen[r.external_id]}" for r in rows if r.refund_of_id}
    try:
        with transaction.atomic():
            created, _existing, conflicts = ledger_store(rows, partner_id=job.partner_id, labels=labels)
            if conflicts:
                transaction.set_rollback(True)
    except TransactionInvalid as exc:
        parts = (exc.field or "").split(".")  # "transactions.<row number>.<column>"
        number, field = (int(parts[1]), parts[2]) if len(parts) == 3 and parts[1].isdigit() else (0, "")
        error = {"row": number, "field": field, "message": exc.message}
        return _finish(job, failed=True, errors=[error], total=len(rows))
    if conflicts:
        conflict_errors = [
            {
                "row": seen[e],
                "field": "external_id",
                "message": _("Already stored with different content."),
            }
            for e in conflicts[:MAX_ERRORS]
        ]
        return _finish(job, failed=True, errors=conflict_errors, total=len(rows))
    return _finish(job, failed=False, errors=[], total=len(rows), created=len(created))


def _finish(job: TransactionImport, *, failed: bool, errors: list[dict], total: int, created: int = 0):
    shown = [e for e in errors if e["message"]]
    hidden = len(errors) - len(shown)
    if hidden:
        shown.append({"row": 0, "field": "", "message": _("…and %(n)d more bad rows.") % {"n": hidden}})
    job.status = TransactionImport.Status.FAILED if failed else TransactionImport.Status.SUCCEEDED
    job.errors = shown
    job.rows_total = total
    job.rows_done = total
    job.created = created
    job.duplicates = 0 if failed else total - created
    job.finished_at = timezone.now()
    job.save(
        update_fields=["status", "errors", "rows_total", "rows_done", "created", "duplicates", "finished_at"]
    )
    logger.info("transaction import %s: %s, %d rows, %d created", job.pk, job.status, total, created)
    return job
