"""Read-only questions about payouts: which account pays a partner, which statements may be paid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings

from .models import PayeeAccount, VatInvoice


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
