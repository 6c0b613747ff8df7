"""Domain errors of payouts. ``field`` names the bad input where there is one."""

from __future__ import annotations

from core.domain import Conflict, DomainError


class PayoutError(DomainError):
    """A refused payout operation."""


class PayoutConflict(Conflict):
    """The batch or a statement is not in the state the operation needs."""
