"""Secrets kept encrypted at rest (webhook signing secrets, TOTP seeds): Fernet (AES-128-CBC +
HMAC) under a key derived from ``SECRET_KEY`` with HKDF-SHA256. Each kind of secret has its own
label, so no key opens another kind's secrets. Rotating ``SECRET_KEY`` means re-encrypting them
(docs/operations.md)."""

from __future__ import annotations

import base64

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
