"""Staff admin of payouts: payee accounts and VAT invoices (``accounts``, ``invoices``)."""

from . import accounts, invoices  # noqa: F401 - registers the admins
