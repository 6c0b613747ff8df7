"""Agreements in force before acceptance existed stay valid: each is recorded as accepted
("Accepted before acceptance existed", at its approval, by nobody) with the SHA-256 of its
terms, on the agreement and in a change row of its history."""

from django.db import migrations

from revenue.terms import terms_sha256

NOTE = "accepted before acceptance existed"


def record(apps, schema_editor):
    Agreement = apps.get_model("revenue", "Agreement")
    AgreementStatusChange = apps.get_model("revenue", "AgreementStatusChange")
    agreements = list(
        Agreement.objects.filter(status__in=["active", "superseded"], accepted_at__isnull=True).order_by("pk")
    )
    rows = []
    for agreement in agreements:
        agreement.acceptance = "before_acceptance"
        agreement.accepted_at = agreement.approved_at or agreement.created_at
        agreement.terms_sha256 = terms_sha256(agreement)
        rows.append(
            AgreementStatusChange(
                agreement=agreement,
                from_status=agreement.status,
                to_status=agreement.status,
                changed_by=None,
                reason=NOTE,
                terms_sha256=agreement.terms_sha256,
            )
        )
    Agreement.objects.bulk_update(agreements, ["acceptance", "accepted_at", "terms_sha256"], batch_size=500)
    AgreementStatusChange.objects.bulk_create(rows, batch_size=500)


def forget(apps, schema_editor):
    Agreement = apps.get_model("revenue", "Agreement")
    AgreementStatusChange = apps.get_model("revenue", "AgreementStatusChange")
    AgreementStatusChange.objects.filter(reason=NOTE, changed_by__isnull=True).delete()
    Agreement.objects.filter(acceptance="before_acceptance").update(acceptance="", accepted_at=None, terms_sha256="")


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0014_agreement_acceptance"),
    ]

    operations = [
        migrations.RunPython(record, forget, elidable=False),
    ]
