"""Payouts recorded before four eyes: the person who marked a statement paid (its approved →
paid change row) becomes its payout recorder. Nobody confirmed them; that stays empty."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Statement = apps.get_model("revenue", "Statement")
    Change = apps.get_model("revenue", "StatementStatusChange")
    paid = Change.objects.filter(statement=OuterRef("pk"), from_status="approved", to_status="paid").order_by("-id")
    Statement.objects.filter(status="paid", payout_recorded_by__isnull=True).update(
        payout_recorded_by=Subquery(paid.values("changed_by")[:1]),
        payout_recorded_at=Subquery(paid.values("changed_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("revenue", "0005_statement_payout_four_eyes_agreement_editors")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
