"""The format and hash of partner API keys.

A live key reads ``fnk_<8 random>.<40 random>``, a sandbox key ``fnk_sbx_<8 random>.<40 random>``: the ``fnk_…`` part before the dot is the stored,
recognisable prefix (secret scanners and staff can tell a leaked key is ours and whose it is);
the whole key carries about 238 bits of randomness. Only ``sha512(key)`` is stored: the key
is high-entropy, so a fast unsalted hash is safe, and it lets authentication check a key
without a slow password hasher. Keys hashed any other way are refused (the package would
otherwise fall back to Django's password hashers and rewrite the row on use).
"""

from __future__ import annotations

import hashlib
import hmac

from django.utils.crypto import get_random_string

KEY_PREFIX = "fnk_"
SANDBOX_PREFIX = "fnk_sbx_"
PREFIX_RANDOM_LENGTH = 8
SECRET_LENGTH = 40
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
LIVE_KEY_LENGTH = len(KEY_PREFIX) + PREFIX_RANDOM_LENGTH + 1 + SECRET_LENGTH
# The longest key the parser looks at (a sandbox key); anything longer is malformed.
MAX_KEY_LENGTH = len(SANDBOX_PREFIX) + PREFIX_RANDOM_LENGTH + 1 + SECRET_LENGTH


def key_hash(key: str) -> str:
    return "sha512$$" + hashlib.sha512(key.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key, else None."""
    prefix, dot, secret = key.partition(".")
    head = SANDBOX_PREFIX if prefix.startswith(SANDBOX_PREFIX) else KEY_PREFIX
    if (
        not dot
        or len(key) != len(head) + PREFIX_RANDOM_LENGTH + 1 + SECRET_LENGTH
        or not prefix.startswith(head)
        or len(prefix) != len(head) + PREFIX_RANDOM_LENGTH
        or not secret.isalnum()
        or not prefix[len(head) :].isalnum()
    ):
        return None
    return prefix, secret


def is_sandbox_prefix(prefix: str) -> bool:
    return prefix.startswith(SANDBOX_PREFIX)


class PartnerKeyGenerator:
    """Drop-in for ``rest_framework_api_key.crypto.KeyGenerator`` with our format; SHA-512 only."""

    def generate(self, *, sandbox: bool = False) -> tuple[str, str, str]:
        prefix = (SANDBOX_PREFIX if sandbox else KEY_PREFIX) + get_random_string(
            PREFIX_RANDOM_LENGTH, ALPHABET
        )
        key = f"{prefix}.{get_random_string(SECRET_LENGTH, ALPHABET)}"
        return key, prefix, key_hash(key)

    def hash(self, value: str) -> str:
        return key_hash(value)

    def verify(self, key: str, hashed_key: str) -> bool:
        return hmac.compare_digest(key_hash(key), hashed_key)

    def using_preferred_hasher(self, hashed_key: str) -> bool:
        return hashed_key.startswith("sha512$$")
