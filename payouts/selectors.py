"""Read-only questions about payouts: which account pays a partner, which statements may be paid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from .models import PayeeAccount, PayeeAccountChange, VatInvoice, VatInvoiceChange


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
