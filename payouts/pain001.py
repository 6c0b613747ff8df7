"""A released batch's payment files: ISO 20022 pain.001.001.03 (CstmrCdtTrfInitn) and a CSV of
the same payments. Both are made from stored values only — ids fixed at build, the creation
time fixed at release (``released_at``), the payee account the batch was built with — so a
file made again is the same bytes.

The XML is built with lxml and checked against the official pain.001.001.03 XSD that the
``sepaxml`` package ships (loaded from the installed package; never copied here). Chinese
accounts are not IBANs: the creditor's and the debtor's account numbers go in ``Othr/Id``, and
the branch's CNAPS code identifies the agent (``ClrSysMmbId``: ``ClrSysId/Cd`` ``CNAPS`` —
the ISO external clearing-system code of China's CNAPS — and ``MmbId`` the 12 digits)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from core.exports import csv_lines, money

from .exceptions import PayoutStatusMoveInvalid
from .models import Payout, PayoutBatch
from .selectors import batch_payouts, payee_account_number

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
CNAPS = "CNAPS"
# Max140Text: the remittance line naming the statements.
USTRD_MAX = 140
FORMATS = ("pain001", "csv")
CSV_HEADER = (
    "message_id",
    "end_to_end_id",
    "requested_execution_date",
    "currency",
    "amount",
    "creditor_name",
    "creditor_account",
    "creditor_bank",
    "creditor_branch",
    "creditor_cnaps",
    "remittance",
)


@cache
def pain001_schema() -> etree.XMLSchema:
    """The official pain.001.001.03 XSD, as the installed ``sepaxml`` package ships it."""
    path = files("sepaxml") / "schemas" / "pain.001.001.03.xsd"
    with path.open("rb") as xsd:
        return etree.XMLSchema(etree.parse(xsd))


def pain001_errors(data: bytes) -> list[str]:
    """What makes ``data`` invalid against the XSD (empty: valid)."""
    try:
        document = etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        return [str(exc)]
    schema = pain001_schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def remittance(payout: Payout) -> str:
    """``Ustrd``: the statements the payment is for, claw-backs netted as negatives —
    ``"Statements 12 13 less 9"``; cut to 140 characters, saying how many were left out."""
    paid = [str(line.statement_id) for line in payout.lines.all() if line.amount > 0]
    less = [str(line.statement_id) for line in payout.lines.all() if line.amount < 0]
    text = "Statements " + " ".join(paid) + (" less " + " ".join(less) if less else "")
    if len(text) <= USTRD_MAX:
        return text
    ids = text.split(" ")
    while True:
        ids.pop()
        shown = " ".join(ids) + f" +{len(paid) + len(less)} in all"
        if len(shown) <= USTRD_MAX:
            return shown


def _sub(parent, tag: str, text: str | None = None, **attributes):
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", **attributes)
    if text is not None:
        element.text = text
    return element


def _agent(parent, tag: str, *, bic: str = "", cnaps: str = "", name: str = "") -> None:
    institution = _sub(_sub(parent, tag), "FinInstnId")
    if bic:
        _sub(institution, "BIC", bic)
    if cnaps:
        member = _sub(institution, "ClrSysMmbId")
        _sub(_sub(member, "ClrSysId"), "Cd", CNAPS)
        _sub(member, "MmbId", cnaps)
    if name:
        _sub(institution, "Nm", name[:140])


def _account(parent, tag: str, number: str, currency: str) -> None:
    account = _sub(parent, tag)
    _sub(_sub(_sub(account, "Id"), "Othr"), "Id", number)
    _sub(account, "Ccy", currency)


def _released(batch: PayoutBatch) -> None:
    if batch.status not in (PayoutBatch.Status.RELEASED, PayoutBatch.Status.RECONCILED):
        raise PayoutStatusMoveInvalid(
            _("Batch %(batch)s is “%(status)s”: only a released batch has a payment file.")
            % {"batch": batch.pk, "status": batch.get_status_display()},
            field="batch",
        )
    if batch.payment_count == 0:
        raise PayoutStatusMoveInvalid(
            _("Batch %(batch)s pays nothing (netting settled it all): it has no payment file.")
            % {"batch": batch.pk},
            field="batch",
        )


def pain001_bytes(batch: PayoutBatch) -> bytes:
    """The batch's pain.001.001.03 file (UTF-8): one PmtInf debiting the bank's own account
    (``PAYOUT_DEBTOR_*``), one CdtTrfTxInf per payout. Released batches only."""
    _released(batch)
    payouts = batch_payouts(batch)
    created = batch.released_at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%dT%H:%M:%S")
    count, total = str(len(payouts)), _amount(sum((p.amount for p in payouts), Decimal("0.00")))
    document = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    initiation = _sub(document, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", batch.message_id)
    _sub(header, "CreDtTm", created)
    _sub(header, "NbOfTxs", count)
    _sub(header, "CtrlSum", total)
    _sub(_sub(header, "InitgPty"), "Nm", settings.PAYOUT_DEBTOR_NAME[:140])
    payment = _sub(initiation, "PmtInf")
    _sub(payment, "PmtInfId", batch.message_id)
    _sub(payment, "PmtMtd", "TRF")
    _sub(payment, "BtchBookg", "false")
    _sub(payment, "NbOfTxs", count)
    _sub(payment, "CtrlSum", total)
    _sub(payment, "ReqdExctnDt", batch.requested_execution_date.isoformat())
    _sub(_sub(payment, "Dbtr"), "Nm", settings.PAYOUT_DEBTOR_NAME[:140])
    _account(payment, "DbtrAcct", settings.PAYOUT_DEBTOR_ACCOUNT, batch.currency)
    _agent(payment, "DbtrAgt", bic=settings.PAYOUT_DEBTOR_BANK_BIC, cnaps=settings.PAYOUT_DEBTOR_BANK_CNAPS)
    for payout in payouts:
        account = payout.payee_account
        transfer = _sub(payment, "CdtTrfTxInf")
        _sub(_sub(transfer, "PmtId"), "EndToEndId", payout.end_to_end_id)
        _sub(_sub(transfer, "Amt"), "InstdAmt", _amount(payout.amount), Ccy=payout.currency)
        _agent(transfer, "CdtrAgt", cnaps=account.cnaps_code, name=account.bank_name)
        _sub(_sub(transfer, "Cdtr"), "Nm", account.account_name[:140])
        _account(transfer, "CdtrAcct", payee_account_number(account), payout.currency)
        _sub(_sub(transfer, "RmtInf"), "Ustrd", remittance(payout))
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def payments_csv_bytes(batch: PayoutBatch) -> bytes:
    """The same payments as CSV (UTF-8 with a BOM; every cell through ``core.exports``: no
    text becomes a formula). Released batches only."""
    _released(batch)
    rows: list[tuple] = [CSV_HEADER]
    for payout in batch_payouts(batch):
        account = payout.payee_account
        rows.append(
            (
                batch.message_id,
                payout.end_to_end_id,
                batch.requested_execution_date,
                payout.currency,
                money(payout.amount),
                account.account_name,
                payee_account_number(account),
                account.bank_name,
                account.branch_name,
                account.cnaps_code,
                remittance(payout),
            )
        )
    return "".join(csv_lines(rows)).encode()


def payment_file(batch: PayoutBatch, file_format: str) -> tuple[bytes, str, str]:
    """(content, file name, content type) of the batch's file in ``file_format``."""
    if file_format == "csv":
        return payments_csv_bytes(batch), f"{batch.message_id}.csv", "text/csv; charset=utf-8"
    if file_format == "pain001":
        return pain001_bytes(batch), f"{batch.message_id}.xml", "application/xml"
    raise ValueError(file_format)
