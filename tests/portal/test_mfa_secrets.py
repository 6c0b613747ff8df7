"""TOTP secrets and recovery-code seeds are encrypted at rest (allauth's MFA adapter hooks),
and the data migration encrypts rows stored in the clear before (and back)."""

from __future__ import annotations

import importlib

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.apps import apps

from portal.mfa import secret_decrypt
from tests.e2e.helpers import staff_with_totp, totp_code
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("portal.migrations.0003_encrypt_mfa_secrets")
CLEAR_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_a_totp_secret_is_stored_encrypted_and_still_checks_codes():
    staff, secret = staff_with_totp()
    stored = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP)

    assert secret not in str(stored.data)
    assert secret_decrypt(stored.data["secret"]) == secret
    from allauth.mfa.totp.internal.auth import TOTP

    assert TOTP(stored).validate_code(totp_code(secret))


def test_a_recovery_code_seed_is_stored_encrypted():
    staff, _secret = staff_with_totp()
    codes = RecoveryCodes.activate(staff)
    stored = Authenticator.objects.get(user=staff, type=Authenticator.Type.RECOVERY_CODES)

    seed = secret_decrypt(stored.data["seed"])
    assert seed not in str(stored.data)
    assert codes.validate_code(codes.get_unused_codes()[0])


def test_the_migration_encrypts_secrets_stored_in_the_clear_and_back():
    user = StaffFactory()
    row = Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": CLEAR_SECRET})

    migration.encrypt_secrets(apps, None)
    row.refresh_from_db()
    encrypted = row.data["secret"]
    assert encrypted != CLEAR_SECRET
    assert secret_decrypt(encrypted) == CLEAR_SECRET

    migration.encrypt_secrets(apps, None)  # twice does no harm
    row.refresh_from_db()
    assert row.data["secret"] == encrypted

    migration.decrypt_secrets(apps, None)
    row.refresh_from_db()
    assert row.data == {"secret": CLEAR_SECRET}


def test_the_migration_encrypts_recovery_code_seeds_and_migrated_codes():
    user = StaffFactory()
    row = Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": "0123456789abcdef", "migrated_codes": ["aaaa1111", "bbbb2222"]},
    )

    migration.encrypt_secrets(apps, None)
    row.refresh_from_db()

    assert secret_decrypt(row.data["seed"]) == "0123456789abcdef"
    assert [secret_decrypt(code) for code in row.data["migrated_codes"]] == ["aaaa1111", "bbbb2222"]


def test_staff_cannot_remove_their_authenticator_app(client):
    staff, secret = staff_with_totp()
    client.post("/accounts/login/", {"login": staff.email, "password": "a-Long-pass-2026!"})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    client.post("/accounts/reauthenticate/", {"password": "a-Long-pass-2026!"})

    client.post("/accounts/2fa/totp/deactivate/", {})

    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
