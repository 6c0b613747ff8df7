"""Payouts: the partner's verified payee account, its VAT invoices for approved statements,
payout batches released under four eyes (ISO 20022 pain.001 and CSV) and the reconciliation of
the bank's statement (camt.053 or CSV) that marks statements paid. See docs/payouts.md."""

from .accounts import PayeeAccount, PayeeAccountChange
from .batches import Payout, PayoutBatch, PayoutLine
from .invoices import VatInvoice, VatInvoiceChange
from .reconcile import BankStatementEntry, BankStatementImport, PayoutStatusChange

__all__ = [
    "BankStatementEntry",
    "BankStatementImport",
    "PayeeAccount",
    "PayeeAccountChange",
    "Payout",
    "PayoutBatch",
    "PayoutLine",
    "PayoutStatusChange",
    "VatInvoice",
    "VatInvoiceChange",
]
