"""Staff admin of payouts: payout batches, their payments and netting lines (``batches``)."""

from . import batches  # noqa: F401 - registers the admins
