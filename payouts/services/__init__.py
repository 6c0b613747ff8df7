"""Every write of payouts. One module per concern; import from here."""

from .accounts import (
    account_number_shown,
    name_matches,
    payee_account_makers,
    payee_account_number,
    payee_account_reject,
    payee_account_submit,
    payee_account_verify,
)
from .invoices import (
    STANDARD_RATES,
    invoice_file_type,
    invoice_makers,
    invoice_mismatch,
    invoice_needed,
    invoice_record,
    invoice_reject,
    invoice_verify,
    statement_total,
    tax_for,
)

__all__ = [
    "STANDARD_RATES",
    "account_number_shown",
    "invoice_file_type",
    "invoice_makers",
    "invoice_mismatch",
    "invoice_needed",
    "invoice_record",
    "invoice_reject",
    "invoice_verify",
    "name_matches",
    "payee_account_makers",
    "payee_account_number",
    "payee_account_reject",
    "payee_account_submit",
    "payee_account_verify",
    "statement_total",
    "tax_for",
]
