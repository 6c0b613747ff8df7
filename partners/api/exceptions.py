"""Domain errors of the open API capability: keys and webhooks (see ``core.domain``)."""

from __future__ import annotations

from ..exceptions import PartnerError


class ApiKeyInvalid(PartnerError):
    """A key cannot be issued, rotated or revoked as asked (``field`` names the bad input)."""

    code = "invalid_key_request"


class WebhookInvalid(PartnerError):
    """A webhook endpoint or event refused (``field`` names the bad input)."""

    code = "invalid_webhook"


class WebhookAddressRefused(WebhookInvalid):
    """The endpoint's address is private, loopback, link-local or a metadata service."""

    code = "webhook_address_refused"


class WebhookTestLimited(PartnerError):
    """Too many test events to an endpoint or from a partner within the hour (maps to 429);
    ``retry_after`` is the number of seconds until the next one may be sent, if any."""

    status_code = 429
    code = "webhook_test_limited"

    def __init__(self, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
