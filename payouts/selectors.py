"""Read-only questions about payouts: which account pays a partner, which statements may be paid."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _

from core.four_eyes import makers_add
from core.secrets import fernet

from .models import PayeeAccount, Payout, PayoutBatch, PayoutLine, VatInvoice


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


# The label of the payee account numbers' key (``core.secrets.fernet``).
PAYEE_ACCOUNT_LABEL = b"finance-n payee account numbers"


def payee_account_number(account: PayeeAccount) -> str:
    """The account's number in full, decrypted: for the payment file only (pages mask it)."""
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
