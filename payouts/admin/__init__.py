"""The staff admin of payouts. Each area registers its own module here."""

from . import accounts, batches, invoices, reconcile  # noqa: F401 - registers the admins
