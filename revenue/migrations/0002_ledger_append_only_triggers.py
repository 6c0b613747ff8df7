"""The ledger is append-only in the database too: a trigger per vendor (see revenue.ledger_sql)."""

from django.db import migrations

from revenue import ledger_sql


def install(apps, schema_editor):
    ledger_sql.run(schema_editor.connection, install=True)


def remove(apps, schema_editor):
    ledger_sql.run(schema_editor.connection, install=False)


class Migration(migrations.Migration):

    dependencies = [
        ("revenue", "0001_agreements_ledger_statements_disputes"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
