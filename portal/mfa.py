"""allauth's MFA adapter of the portal: secrets encrypted at rest, staff keep their authenticator.

TOTP secrets and recovery-code seeds are what a second factor is made of, and allauth stores
them in ``mfa_authenticator.data``. They are encrypted there as webhook secrets are
(``partners.webhooks.signing``): Fernet (AES-128-CBC + HMAC) under a key derived from
``SECRET_KEY`` with HKDF-SHA256, with a label of their own so that neither key opens the other's
tokens. Changing ``SECRET_KEY`` makes every authenticator unreadable: staff then enrol again
(``manage.py staff_enrolment_link``). Migration ``portal.0003_encrypt_mfa_secrets`` encrypts rows stored before.
"""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet, InvalidToken

from core.secrets import fernet

KEY_LABEL = b"finance-n mfa secrets"


def _fernet() -> Fernet:
    return fernet(KEY_LABEL)


def secret_encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def secret_decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def secret_is_encrypted(value: str) -> bool:
    """Whether ``value`` is one of our tokens (the data migration skips those)."""
    try:
        secret_decrypt(value)
    except (InvalidToken, ValueError, TypeError):
        return False
    return True


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return secret_encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return secret_decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Staff cannot remove their authenticator app: without it the next person holding
        the password could enrol their own. An administrator resets it instead (admin action
        on users), which mails a new enrolment link."""
        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.is_staff:
            return False
        return super().can_delete_authenticator(authenticator)
