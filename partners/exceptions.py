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
