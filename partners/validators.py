"""Validators of partner identifiers.

The unified social credit code (统一社会信用代码, GB 32100-2015) has 18 characters: a
registration authority code, an organisation-type code, a 6-digit administrative division
code, a 9-character organisation code and one check character. The alphabet is the digits
and the capital letters without I, O, Z, S and V (31 characters); the check character makes
the weighted sum of all 18 characters a multiple of 31.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_LENGTH = 18
# Weight of position i is 3**i mod 31, for the first 17 characters.
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(body: str) -> str:
    """The check character for the first 17 characters of a code (already in the alphabet)."""
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(body, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Refuse a code that breaks a GB 32100-2015 rule, saying which rule it broke."""
    if len(value) != CREDIT_CODE_LENGTH:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(length)d."),
            code="credit_code_length",
            params={"length": len(value)},
        )
    bad = sorted({c for c in value if c not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _(
                "A unified social credit code uses only digits and the capital letters A–Y "
                "without I, O, S, V and Z. Not allowed here: %(characters)s."
            ),
            code="credit_code_characters",
            params={"characters": ", ".join(f"“{c}”" for c in bad)},
        )
    if value[17] != credit_code_check_character(value[:17]):
        raise ValidationError(
            _(
                "The check character (the 18th) of this unified social credit code does not match "
                "the first 17 characters: one of them is probably mistyped."
            ),
            code="credit_code_check",
        )


def normalise_credit_code(value: str) -> str:
    """Codes are printed in capitals; people type them with spaces and lower case."""
    return "".join(value.split()).upper()
