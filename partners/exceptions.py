"""Domain errors of the partners app (see ``core.domain``)."""

from __future__ import annotations

from core.domain import Conflict, DomainError, InvalidTransition, NotAllowed


class PartnerError(DomainError):
    """A refused operation on a partner, its documents or its team."""


class PartnerNotAllowed(NotAllowed, PartnerError):
    """The acting user may not do this."""


class PartnerConflict(Conflict, PartnerError):
    """The operation conflicts with the partner's current state."""


class PartnerInvalidTransition(InvalidTransition, PartnerError):
    """A lifecycle move the allowed-moves map does not permit."""


class ReviewIncomplete(PartnerConflict):
    """Approval asked for before the review checklist is complete."""

    code = "review_incomplete"


class DocumentRejected(PartnerError):
    """An upload refused: wrong type, too large or empty."""

    code = "invalid_document"


class DocumentsNotValid(PartnerNotAllowed):
    """A required KYB document is missing, unverified or expired."""

    code = "documents_not_valid"


class PartnerNotActive(PartnerNotAllowed):
    """The partner is not active (suspended, terminated or still onboarding)."""

    code = "partner_not_active"


class InvitationInvalid(PartnerError):
    """The invitation link is unknown, expired, already used or revoked."""

    code = "invitation_invalid"


class LastOwner(PartnerConflict):
    """The change would leave the partner without an owner."""

    code = "last_owner"


# The open API capability: keys and webhooks.
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


class NotificationInvalid(PartnerError):
    """A notification preference names an unknown kind or way of delivery."""

    code = "invalid_notification_preference"
