"""Secrets kept encrypted at rest (webhook signing secrets, TOTP seeds): Fernet (AES-128-CBC +
HMAC) under a key derived from ``SECRET_KEY`` with HKDF-SHA256. Each kind of secret has its own
label, so no key opens another kind's secrets. Rotating ``SECRET_KEY`` means re-encrypting them
(docs/operations.md).

And the one pseudonymous customer reference (``customer_reference``) that the ledger and the
offer log store instead of a partner's customer id, so the two can be matched without either
holding the id."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def fernet(label: bytes) -> Fernet:
    """The Fernet of the secrets labelled ``label`` (e.g. ``b"finance-n webhook secrets"``)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def customer_reference(*, partner_id: int, customer_id: str) -> str:
    """A pseudonymous reference: HMAC-SHA256 under the server key ``REVENUE_CUSTOMER_REF_KEY``
    of the partner's id and its customer id, so each partner's references are its own (the same
    customer id of two partners gives two unrelated references). The same customer of the same
    partner always gets the same reference; the id is never stored. ``""`` for no id."""
    if not customer_id:
        return ""
    key = settings.REVENUE_CUSTOMER_REF_KEY.encode()
    return hmac.new(key, f"{partner_id}:{customer_id}".encode(), hashlib.sha256).hexdigest()
