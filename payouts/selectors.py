"""Read-only questions about payouts: which account pays a partner, which statements may be paid."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings

from core.fen import to_fen

from .models import BankStatementEntry, BankStatementImport, PayeeAccount, Payout, PayoutLine, VatInvoice


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
