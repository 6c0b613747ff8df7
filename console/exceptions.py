"""Refusals of the staff console's own checks (the owning apps raise theirs)."""

from __future__ import annotations

from core.domain import DomainError, InvalidTransition, NotAllowed


class ConsoleError(DomainError):
    pass


class SelfApproval(NotAllowed):
    """Maker-checker: the person who asked for a decision never takes it."""

    code = "self_approval"


class UnknownDecision(ConsoleError):
    code = "unknown_decision"


class SignalInvalidTransition(InvalidTransition):
    pass
