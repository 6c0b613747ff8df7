"""Domain errors of revenue sharing. ``field`` names the bad input where there is one."""

from __future__ import annotations

from core.domain import Conflict, DomainError, InvalidTransition, NotAllowed


class RevenueError(DomainError):
    """A refused revenue operation."""


class AgreementInvalid(RevenueError):
    """Terms, dates or scope of an agreement that do not hold (``field`` names the bad one)."""

    code = "invalid_agreement"


class AgreementImmutable(Conflict):
    """Only a draft agreement changes; an active one is superseded by a new one."""

    code = "agreement_immutable"


class MakerCheckerViolation(NotAllowed):
    """The checker of a change must be someone else than its maker."""

    code = "maker_checker"


class RevenueNotAllowed(NotAllowed):
    """The acting user lacks the permission."""


class StatusMoveInvalid(InvalidTransition):
    """A status move the allowed-moves map does not permit."""


class TransactionInvalid(RevenueError):
    """A reported transaction that does not fit (``field`` names the bad one)."""


class TransactionConflict(Conflict):
    """An ``external_id`` already stored with different content: nothing was written."""

    code = "conflict"


class DisputeInvalid(RevenueError):
    """A dispute that cannot be raised or decided as asked."""


class LedgerImmutable(Conflict):
    """A stored transaction is never changed or deleted; a refund is a new transaction."""

    code = "ledger_immutable"


class StatementOverlap(Conflict):
    """Another statement of the partner's scenario already covers a day of the period."""

    code = "statement_overlap"


class SettlementInvalid(RevenueError):
    """A settlement that cannot be started as asked (``field`` names why)."""
