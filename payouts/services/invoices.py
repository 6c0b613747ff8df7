"""VAT invoices (增值税发票): the partner records the invoice of an approved statement, staff
verify or reject it. The invoice must match the statement to the fen — total = share +
adjustments, tax = amount before tax × rate rounded half up — and its file must be a PDF or an
OFD by its content (as KYB files: ``core.uploads``)."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fen import to_fen
from core.four_eyes import Makers, makers_add
from core.transitions import change_row_write, transition
from core.uploads import keep_file_on_commit
from partners.notifications import notify
from revenue.models import Statement

from ..exceptions import PayoutNotAllowed, PayoutStatusMoveInvalid, VatInvoiceDuplicate, VatInvoiceInvalid
from ..models import VatInvoice, VatInvoiceChange
from ..selectors import invoice_waived
from ._common import acting_for, require_checker, require_staff

logger = logging.getLogger(__name__)

V = VatInvoice.Status
INVOICE_MOVES: dict[str, frozenset[str]] = {
    V.SUBMITTED: frozenset({V.VERIFIED, V.REJECTED}),
    V.VERIFIED: frozenset(),
    V.REJECTED: frozenset(),
}
# Partner members who record invoices: whoever may dispute statements.
INVOICE_ROLES = frozenset({"owner", "admin", "finance"})
ENTER_PERMISSION = "payouts.add_vatinvoice"
REVIEW_PERMISSION = "payouts.review_vatinvoice"

# The rates of Chinese VAT; another rate may be entered (a decimal fraction, four places).
STANDARD_RATES = tuple(Decimal(r) for r in ("0", "0.01", "0.03", "0.06", "0.09", "0.13"))
RATE_PLACES = 4

# A paper-era invoice: a 10- or 12-digit code and an 8-digit number; a fully digital invoice
# (全电发票): no code and a 20-digit number.
INVOICE_CODE = re.compile(r"\d{10}|\d{12}")
NUMBER_WITH_CODE = re.compile(r"\d{8}")
NUMBER_WITHOUT_CODE = re.compile(r"\d{20}")

PDF = "application/pdf"
OFD = "application/ofd"
EXTENSIONS = {PDF: "pdf", OFD: "ofd"}


def statement_total(statement: Statement) -> Decimal:
    """What the statement pays: its share plus its adjustments."""
    return statement.share_amount + statement.adjustment_amount


def tax_for(amount_before_tax: Decimal, rate: Decimal) -> Decimal:
    """The tax of an amount at a rate, to the fen, half up (the one rounding: ``core.fen``)."""
    return to_fen(amount_before_tax * rate)


@dataclass(frozen=True)
class Mismatch:
    field: str
    message: str


def invoice_mismatch(
    *,
    total_due: Decimal,
    amount_before_tax: Decimal,
    tax_rate: Decimal,
    tax_amount: Decimal,
    total_amount: Decimal,
) -> Mismatch | None:
    """The first field of an invoice that does not match its statement (None: it matches).
    Pure: the arithmetic, no database."""
    if total_amount != total_due:
        return Mismatch(
            "total_amount",
            _("The total must be the statement's amount, %(due)s (share plus adjustments); it is %(total)s.")
            % {"due": total_due, "total": total_amount},
        )
    expected = tax_for(amount_before_tax, tax_rate)
    if tax_amount != expected:
        return Mismatch(
            "tax_amount",
            _("The tax must be %(expected)s (amount before tax × rate, to the fen); it is %(tax)s.")
            % {"expected": expected, "tax": tax_amount},
        )
    if amount_before_tax + tax_amount != total_amount:
        return Mismatch(
            "amount_before_tax",
            _("The amount before tax plus the tax (%(sum)s) must be the total, %(total)s.")
            % {"sum": amount_before_tax + tax_amount, "total": total_amount},
        )
    return None


def _money(value, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise VatInvoiceInvalid(
            _("Enter the %(field)s as an amount.") % {"field": label}, field=field
        ) from exc
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2 or amount >= Decimal("1e18"):
        raise VatInvoiceInvalid(
            _("The %(field)s is an amount of at most two decimals, not negative.") % {"field": label},
            field=field,
        )
    return amount.quantize(Decimal("0.01"))


def tax_rate_parse(value) -> Decimal:
    """A tax rate as a fraction (``0.13``), at most four decimals, from 0 up to (not) 1."""
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise VatInvoiceInvalid(_("Enter the tax rate."), field="tax_rate") from exc
    if not rate.is_finite() or rate < 0 or rate >= 1 or rate.as_tuple().exponent < -RATE_PLACES:
        raise VatInvoiceInvalid(
            _(
                "The tax rate is a fraction from 0 to below 1 with at most four decimals (13 per cent is 0.13)."
            ),
            field="tax_rate",
        )
    return rate


def invoice_file_type(upload: File) -> str:
    """``application/pdf`` or ``application/ofd`` by the file's bytes ("" for anything else):
    a PDF starts ``%PDF-``; an OFD is a ZIP with ``OFD.xml`` at its root (the list of entries
    is read, nothing is unpacked). The file is left at its start."""
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return PDF
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(upload) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            names = []
        finally:
            upload.seek(0)
        if "OFD.xml" in names:
            return OFD
    return ""


def _file_checked(upload) -> str:
    if upload is None:
        raise VatInvoiceInvalid(_("Attach the invoice file (PDF or OFD)."), field="file")
    size = upload.size or 0
    if size == 0:
        raise VatInvoiceInvalid(_("The file is empty."), field="file")
    limit = settings.PAYOUT_INVOICE_MAX_BYTES
    if size > limit:
        raise VatInvoiceInvalid(
            _("The file is %(size)s; the largest allowed is %(limit)s.")
            % {"size": f"{size / 1024 / 1024:.1f} MB", "limit": f"{limit / 1024 / 1024:.1f} MB"},
            field="file",
        )
    content_type = invoice_file_type(upload)
    if not content_type:
        raise VatInvoiceInvalid(
            _("Only PDF and OFD invoices are accepted; the content of this file is neither."), field="file"
        )
    return content_type


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def invoice_makers(invoice: VatInvoice) -> Makers:
    """Who entered the invoice: a staff member who entered it for the partner never verifies it."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, invoice.submitted_by_id, _("entered it"))
    return makers


def invoice_needed(statement: Statement) -> bool:
    """An approved statement that pays something needs an invoice (unless waived)."""
    return statement.status == Statement.Status.APPROVED and statement_total(statement) > 0


def invoice_record(
    *,
    statement: Statement,
    actor,
    invoice_code: str,
    invoice_number: str,
    issued_on: date,
    amount_before_tax,
    tax_rate,
    tax_amount,
    total_amount,
    upload: File | None,
) -> VatInvoice:
    """Record the partner's VAT invoice for ``statement`` (an owner, admin or finance member of
    its partner, or staff holding ``payouts.add_vatinvoice`` for it). Every refusal names its
    field; nothing is written unless all of it holds."""
    partner = statement.partner
    acting_for(actor, partner, permission=ENTER_PERMISSION, roles=INVOICE_ROLES)
    if invoice_waived(partner=partner):
        raise PayoutNotAllowed(_("The bank waives VAT invoices for this partner: none is needed."))
    if statement.status != Statement.Status.APPROVED:
        raise VatInvoiceInvalid(_("Only an approved statement takes an invoice."), field="statement")
    due = statement_total(statement)
    if due <= 0:
        raise VatInvoiceInvalid(_("This statement pays nothing: it takes no invoice."), field="statement")
    code = re.sub(r"\s+", "", invoice_code or "")
    number = re.sub(r"\s+", "", invoice_number or "")
    if code and not INVOICE_CODE.fullmatch(code):
        raise VatInvoiceInvalid(
            _("The invoice code is 10 or 12 digits (leave it empty for a fully digital invoice)."),
            field="invoice_code",
        )
    if code and not NUMBER_WITH_CODE.fullmatch(number):
        raise VatInvoiceInvalid(_("The invoice number is 8 digits."), field="invoice_number")
    if not code and not NUMBER_WITHOUT_CODE.fullmatch(number):
        raise VatInvoiceInvalid(
            _(
                "A fully digital invoice (no code) has a 20-digit number; a paper invoice has a code and 8 digits."
            ),
            field="invoice_number",
        )
    if not isinstance(issued_on, date):
        raise VatInvoiceInvalid(_("Enter the issue date."), field="issued_on")
    if issued_on > timezone.localdate():
        raise VatInvoiceInvalid(_("The issue date is in the future."), field="issued_on")
    before = _money(amount_before_tax, "amount_before_tax", _("amount before tax"))
    rate = tax_rate_parse(tax_rate)
    tax = _money(tax_amount, "tax_amount", _("tax amount"))
    total = _money(total_amount, "total_amount", _("total"))
    mismatch = invoice_mismatch(
        total_due=due, amount_before_tax=before, tax_rate=rate, tax_amount=tax, total_amount=total
    )
    if mismatch is not None:
        raise VatInvoiceInvalid(mismatch.message, field=mismatch.field)
    content_type = _file_checked(upload)
    live = VatInvoice.objects.exclude(status=V.REJECTED)
    if live.filter(statement=statement).exists():
        raise VatInvoiceDuplicate(_("This statement already has an invoice."), field="statement")
    if live.filter(partner=partner, invoice_code=code, invoice_number=number).exists():
        raise VatInvoiceDuplicate(
            _("Invoice %(code)s %(number)s is already recorded.") % {"code": code or "—", "number": number},
            field="invoice_number",
        )
    invoice = VatInvoice(
        statement=statement,
        partner=partner,
        invoice_code=code,
        invoice_number=number,
        issued_on=issued_on,
        amount_before_tax=before,
        tax_rate=rate,
        tax_amount=tax,
        total_amount=total,
        file_sha256=_sha256(upload),
        original_name=(getattr(upload, "name", "") or "invoice").rsplit("/", 1)[-1][:200],
        content_type=content_type,
        submitted_by=actor,
    )
    try:
        with transaction.atomic():
            # A name nobody guesses; the extension from the sniffed content, never the name.
            invoice.file.save(
                f"{partner.pk}-{uuid.uuid4().hex}.{EXTENSIONS[content_type]}", upload, save=False
            )
            keep_file_on_commit(invoice.file.storage, invoice.file.name)
            invoice.save()
            change_row_write(VatInvoiceChange, invoice, from_status="", to_status=V.SUBMITTED, actor=actor)
            notify(
                kind="invoice.submitted",
                partner=partner,
                target=invoice,
                params={"invoice": str(invoice), "statement": f"#{statement.pk}"},
            )
    except IntegrityError as exc:  # recorded at the same moment by someone else
        raise VatInvoiceDuplicate(
            _("This invoice or this statement's invoice was recorded meanwhile."), field="invoice_number"
        ) from exc
    logger.info("VAT invoice %s recorded for statement %s", invoice.pk, statement.pk)
    return invoice


def _decide(invoice: VatInvoice, to: str, actor, reason: str) -> VatInvoice:
    with transaction.atomic():
        locked = VatInvoice.objects.select_for_update().select_related("partner").get(pk=invoice.pk)
        require_checker(actor, invoice_makers(locked), _("a VAT invoice"))
        changes = {"reviewed_by": actor, "reviewed_at": timezone.now()}
        if to == V.REJECTED:
            changes["rejection_reason"] = reason
        transition(
            locked,
            to,
            moves=INVOICE_MOVES,
            actor=actor,
            reason=reason,
            change_model=VatInvoiceChange,
            error=PayoutStatusMoveInvalid,
            changes=changes,
        )
        params = {"invoice": str(locked), "statement": f"#{locked.statement_id}"}
        if to == V.REJECTED:
            params["reason"] = reason[:200]
        notify(
            kind="invoice.verified" if to == V.VERIFIED else "invoice.rejected",
            partner=locked.partner,
            target=locked,
            params=params,
        )
    logger.info("VAT invoice %s %s by user %s", locked.pk, to, actor.pk)
    return locked


def invoice_verify(*, invoice: VatInvoice, actor, reason: str = "") -> VatInvoice:
    """Staff checked the invoice (against the tax authority's records): the statement may be paid."""
    require_staff(actor, REVIEW_PERMISSION)
    return _decide(invoice, V.VERIFIED, actor, (reason or "").strip())


def invoice_reject(*, invoice: VatInvoice, actor, reason: str) -> VatInvoice:
    """Staff refuse the invoice, saying why; the partner may record a corrected one."""
    require_staff(actor, REVIEW_PERMISSION)
    reason = (reason or "").strip()
    if not reason:
        raise VatInvoiceInvalid(_("Give a reason for this change."), field="reason")
    return _decide(invoice, V.REJECTED, actor, reason)
