"""Payouts recorded before four eyes: the person who marked a statement paid (its approved →
paid change row) becomes its payout recorder. Nobody confirmed them; that stays empty.

0010 rebuilt the statement table on SQLite (new checks), which drops its guard triggers: they
are installed again here, after the backfill (the payout columns are not frozen anyway)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

from revenue import ledger_sql


def backfill(apps, schema_editor):
    Statement = apps.get_model("revenue", "Statement")
    Change = apps.get_model("revenue", "StatementStatusChange")
    paid = Change.objects.filter(statement=OuterRef("pk"), from_status="approved", to_status="paid").order_by("-id")
    Statement.objects.filter(status="paid", payout_recorded_by__isnull=True).update(
        payout_recorded_by=Subquery(paid.values("changed_by")[:1]),
        payout_recorded_at=Subquery(paid.values("changed_at")[:1]),
    )


def install_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        ledger_sql.statement_guards_run(schema_editor.connection, install=True)


class Migration(migrations.Migration):
    dependencies = [("revenue", "0010_statement_payout_four_eyes_agreement_editors")]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(install_guards, migrations.RunPython.noop),
    ]
