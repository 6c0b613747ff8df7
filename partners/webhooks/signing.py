"""Webhook signatures and the encryption of webhook secrets at rest.

Every delivery carries ``X-FinanceN-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`` where
each ``v1`` is ``HMAC-SHA256(secret, "<t>.<raw body>")``: one per valid secret (two while a
rotated secret overlaps with its successor). A receiver recomputes it with its secret, accepts
when any ``v1`` matches and ``t`` is recent (replays of old deliveries are refused).

Secrets are needed to sign, so they cannot be hashed: they are stored encrypted with Fernet
(AES-128-CBC + HMAC) under a key derived from ``SECRET_KEY`` (HKDF-SHA256), and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from cryptography.fernet import Fernet

from core.secrets import fernet

SIGNATURE_HEADER = "X-FinanceN-Signature"
EVENT_HEADER = "X-FinanceN-Event"
DELIVERY_HEADER = "X-FinanceN-Delivery"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _fernet() -> Fernet:
    return fernet(b"finance-n webhook secrets")


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={sign(s, timestamp, body)}" for s in secrets_)])


def verify(header: str, body: bytes, secret: str, *, now: float | None = None) -> bool:
    """What a receiver does (the README shows the same in a few lines)."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k == "t"]
    if not timestamps or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
