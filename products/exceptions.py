"""Domain errors of the product catalog."""

from __future__ import annotations

from core.domain import Conflict, DomainError, InvalidTransition, NotAllowed


class ProductError(DomainError):
    """A refused change to the catalog."""


class ProductTermsInvalid(ProductError):
    """Terms that break the category's rules. ``errors`` holds every problem by field; ``field``
    and ``message`` name the first one."""

    code = "invalid_terms"

    def __init__(self, errors: dict[str, list[str]]):
        field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=field)
        self.errors = errors


class ProductStatusInvalid(InvalidTransition):
    """A status move the allowed-moves map does not permit."""


class ProductRetired(Conflict):
    """A retired product is kept for history only."""

    code = "product_retired"


class ProductNotAllowed(NotAllowed):
    """The acting staff member lacks the permission."""
