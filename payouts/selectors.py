"""Read-only questions about payouts: which account pays a partner, which statements may be paid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.fen import to_fen
from core.four_eyes import makers_add
from core.secrets import fernet

from .models import (
    BankStatementEntry,
    BankStatementImport,
    PayeeAccount,
    PayeeAccountChange,
    Payout,
    PayoutBatch,
    PayoutLine,
    VatInvoice,
    VatInvoiceChange,
)


def payee_account_in_force(*, partner_id: int, currency: str, at: datetime) -> PayeeAccount | None:
    """The partner's verified account for ``currency`` whose cooling-off period ended by ``at``."""
    return (
        PayeeAccount.objects.filter(
            partner_id=partner_id,
            currency=currency,
            status=PayeeAccount.Status.VERIFIED,
            effective_at__lte=at,
        )
        .order_by("-effective_at")
        .first()
    )


def statements_with_invoice(*, statement_ids: Iterable[int]) -> set[int]:
    """Those of ``statement_ids`` that have a verified VAT invoice (one query)."""
    return set(
        VatInvoice.objects.filter(
            statement_id__in=list(statement_ids), status=VatInvoice.Status.VERIFIED
        ).values_list("statement_id", flat=True)
    )


def invoice_waived(*, partner) -> bool:
    """Whether the bank waives VAT invoices for this partner (``PAYOUT_INVOICE_WAIVED_TIERS``)."""
    return partner.tier in settings.PAYOUT_INVOICE_WAIVED_TIERS


# reconcile -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    """What an import found: entries, matched (count and amount per currency), each outcome's
    count (``(code, label, count)`` in the outcomes' order) and the entries still open."""

    entries: int
    matched: int
    matched_amounts: list[tuple[str, Decimal]]
    by_outcome: list[tuple[str, str, int]]
    open: int


def import_summary(statement_import: BankStatementImport) -> ImportSummary:
    """The summary of one import (two queries; amounts summed exactly in Python)."""
    entries = list(
        statement_import.entries.values_list("outcome", "decision", "amount", "currency").order_by("position")
    )
    counts = Counter(outcome for outcome, *_rest in entries)
    amounts: dict[str, Decimal] = {}
    for outcome, _decision, amount, currency in entries:
        if outcome == BankStatementEntry.Outcome.MATCHED:
            amounts[currency] = amounts.get(currency, Decimal("0")) + amount
    return ImportSummary(
        entries=len(entries),
        matched=counts.get(BankStatementEntry.Outcome.MATCHED, 0),
        matched_amounts=sorted((c, to_fen(a)) for c, a in amounts.items()),
        by_outcome=[(o.value, str(o.label), counts.get(o.value, 0)) for o in BankStatementEntry.Outcome],
        open=sum(
            1
            for outcome, decision, *_rest in entries
            if outcome in BankStatementEntry.EXCEPTIONS and not decision
        ),
    )


def payouts_for_partner(*, partner):
    """The partner's payouts that left the bank (in payment, paid, returned), newest first,
    with their batch (one query)."""
    return (
        Payout.objects.filter(partner=partner)
        .exclude(status__in=(Payout.Status.PENDING, Payout.Status.CANCELLED))
        .select_related("batch")
        .order_by("-id")
    )


def payout_for_partner(*, partner, payout_id: int) -> Payout:
    """One of the partner's payouts (``Payout.DoesNotExist`` for another partner's: a 404)."""
    return payouts_for_partner(partner=partner).get(pk=payout_id)


def payout_lines(payout: Payout) -> list[PayoutLine]:
    """The payout's netting lines with their statements, positive lines first (one query)."""
    return list(payout.lines.select_related("statement").order_by("-amount", "position", "pk"))


# The label of the payee account numbers' key (``core.secrets.fernet``).
PAYEE_ACCOUNT_LABEL = b"finance-n payee account numbers"


def payee_account_number(account: PayeeAccount) -> str:
    """The account's number in full, decrypted: for the payment file and for staff holding
    ``payouts.view_payee_account_number`` (pages mask it otherwise). Never log it."""
    return fernet(PAYEE_ACCOUNT_LABEL).decrypt(account.account_number_encrypted.encode()).decode()


def batch_makers(batch: PayoutBatch) -> dict[int, list[str]]:
    """Who built the batch (its releaser must be someone else, superuser or not). No query."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, batch.created_by_id, _("built it"))
    return makers


def statements_in_live_batches(
    *, statement_ids: Iterable[int], released_with: PayoutBatch | None = None
) -> tuple[set[int], dict[int, Decimal]]:
    """Of ``statement_ids``: the positive statements already in a live (not cancelled) batch,
    and what live lines already took of each claw-back (a positive amount). ``released_with``:
    count only the lines of released batches and of that one (being released). One query;
    sums in Python, exact."""
    batched: set[int] = set()
    taken: dict[int, Decimal] = {}
    lines = PayoutLine.objects.filter(live=True, statement_id__in=list(statement_ids))
    if released_with is not None:
        lines = lines.filter(
            Q(batch=released_with)
            | Q(batch__status__in=[PayoutBatch.Status.RELEASED, PayoutBatch.Status.RECONCILED])
        )
    rows = lines.values_list("statement_id", "amount")
    for statement_id, amount in rows:
        if amount > 0:
            batched.add(statement_id)
        else:
            taken[statement_id] = taken.get(statement_id, Decimal("0.00")) - amount
    return batched, taken


def batch_payouts(batch: PayoutBatch) -> list[Payout]:
    """The batch's payments in file order (by id), with partner, payee account and netting
    lines (their statements) loaded: three queries."""
    return list(
        Payout.objects.filter(batch=batch)
        .select_related("partner", "payee_account")
        .prefetch_related(
            Prefetch("lines", queryset=PayoutLine.objects.select_related("statement").order_by("position"))
        )
        .order_by("pk")
    )


def batch_lines(batch: PayoutBatch) -> list[PayoutLine]:
    """Every netting line of the batch, partner by partner, in the order netting took them."""
    return list(
        PayoutLine.objects.filter(batch=batch)
        .select_related("partner", "statement", "payout")
        .order_by("partner__display_name", "partner_id", "position")
    )


# --------------------------------------------------------------------------------------
# Payee accounts and VAT invoices as the portal and the staff pages read them (payee)
# --------------------------------------------------------------------------------------
def payee_accounts_for_partner(*, partner) -> QuerySet[PayeeAccount]:
    """Every payee account of ``partner``, newest first, with its trail (2 queries)."""
    changes = Prefetch(
        "changes", queryset=PayeeAccountChange.objects.order_by("changed_at", "id"), to_attr="trail"
    )
    return (
        PayeeAccount.objects.filter(partner=partner)
        .prefetch_related(changes)
        .order_by("-submitted_at", "-id")
    )


def invoices_for_statement(*, partner, statement_id: int) -> list[VatInvoice]:
    """The invoices recorded for one of ``partner``'s statements, newest first, with their
    trail (2 queries)."""
    changes = Prefetch(
        "changes", queryset=VatInvoiceChange.objects.order_by("changed_at", "id"), to_attr="trail"
    )
    return list(
        VatInvoice.objects.filter(partner=partner, statement_id=statement_id)
        .prefetch_related(changes)
        .order_by("-submitted_at", "-id")
    )


def invoice_state(*, statement, invoices: list[VatInvoice], waived: bool) -> str:
    """Where a statement stands with its invoice: ``waived``, ``not_needed`` (not approved or
    pays nothing), ``missing`` (none, or only rejected ones), ``submitted`` or ``verified``."""
    live = next((i for i in invoices if i.status != VatInvoice.Status.REJECTED), None)
    if live is not None:
        return live.status
    if waived:
        return "waived"
    payable = statement.share_amount + statement.adjustment_amount > 0
    if statement.status != "approved" or not payable:
        return "not_needed"
    return "missing"
