"""Encrypt the TOTP secrets and recovery-code seeds stored in the clear before portal.mfa.

Reversible: going back decrypts them again (for a rollback to code without the adapter). Rows
already encrypted (or already clear, going back) are left as they are, so running it twice
does no harm.
"""

from django.db import migrations

from portal.mfa import secret_decrypt, secret_encrypt, secret_is_encrypted

BATCH = 500


def _convert(value, *, encrypt: bool):
    if not isinstance(value, str) or not value:
        return value
    if encrypt:
        return value if secret_is_encrypted(value) else secret_encrypt(value)
    return secret_decrypt(value) if secret_is_encrypted(value) else value


def _rewrite(apps, *, encrypt: bool) -> None:
    Authenticator = apps.get_model("mfa", "Authenticator")
    changed = []
    for authenticator in Authenticator.objects.filter(type__in=["totp", "recovery_codes"]).iterator():
        data = dict(authenticator.data or {})
        for field in ("secret", "seed"):
            if field in data:
                data[field] = _convert(data[field], encrypt=encrypt)
        if isinstance(data.get("migrated_codes"), list):
            data["migrated_codes"] = [_convert(code, encrypt=encrypt) for code in data["migrated_codes"]]
        if data != authenticator.data:
            authenticator.data = data
            changed.append(authenticator)
        if len(changed) >= BATCH:
            Authenticator.objects.bulk_update(changed, ["data"])
            changed = []
    if changed:
        Authenticator.objects.bulk_update(changed, ["data"])


def encrypt_secrets(apps, schema_editor):
    _rewrite(apps, encrypt=True)


def decrypt_secrets(apps, schema_editor):
    _rewrite(apps, encrypt=False)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_console_rollups_and_risk_signals"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets)]
