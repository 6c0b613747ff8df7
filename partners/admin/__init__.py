"""Staff admin of the partners app, one module per concern. The open API capability adds
its own modules (API keys, usage, webhooks) and imports them here."""

from . import documents, keys, members, partners  # noqa: F401  (registers the admins)
