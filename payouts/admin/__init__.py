"""The staff admin of payouts. Each area registers its own module here."""

from . import batches, reconcile  # noqa: F401 - registers the admins
