"""Domain errors of the open API capability: keys and webhooks (see ``portal.domain``)."""

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
