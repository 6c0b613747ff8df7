"""The root of every app's domain exceptions.

Services raise subclasses (``partners.exceptions.PartnerError``…); the API answers them with
``status_code`` and the error shape of ``core.errors``; pages show ``message``. This module
imports nothing of the project, so every app may import it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused business operation. ``message`` is safe to show to the user."""

    status_code = 400
    code = "invalid"
    # Machine-readable facts about the refusal, answered as ``error.details`` by the API
    # (e.g. ``{"purposes_missing": [...]}``); ``None``: nothing beyond the message.
    details: dict | None = None

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code:
            self.code = code


class NotAllowed(DomainError):
    """The acting user or partner may not do this (maps to 403)."""

    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    """The operation conflicts with the current state (maps to 409)."""

    status_code = 409
    code = "conflict"


class InvalidTransition(DomainError):
    """A status move that the allowed-moves map does not permit."""

    status_code = 409
    code = "invalid_transition"
