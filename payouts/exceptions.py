"""Domain errors of payouts. ``field`` names the bad input where there is one."""

from __future__ import annotations

from core.domain import Conflict, DomainError, InvalidTransition, NotAllowed


class PayoutError(DomainError):
    """A refused payouts operation."""


class PayeeAccountInvalid(PayoutError):
    """A payee account that does not hold (``field`` names the bad input)."""

    code = "invalid_payee_account"


class VatInvoiceInvalid(PayoutError):
    """A VAT invoice that does not match its statement or is malformed (``field`` names it)."""

    code = "invalid_vat_invoice"


class VatInvoiceDuplicate(Conflict):
    """The invoice code and number are already recorded."""

    code = "duplicate_vat_invoice"


class PayoutNotAllowed(NotAllowed):
    """The acting user may not do this."""


class PayoutMakerChecker(NotAllowed):
    """Four eyes: the checker made the thing they would check."""

    code = "maker_checker"


class PayoutStatusMoveInvalid(InvalidTransition):
    """A status move the allowed-moves map does not permit."""
