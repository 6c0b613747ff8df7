"""Approved and paid statements, their lines and their status history are guarded in the
database too: a trigger per vendor (see ``revenue.ledger_sql.statement_guards``)."""

from django.db import migrations

from revenue import ledger_sql


def install(apps, schema_editor):
    ledger_sql.statement_guards_run(schema_editor.connection, install=True)


def remove(apps, schema_editor):
    ledger_sql.statement_guards_run(schema_editor.connection, install=False)


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0007_refunds_name_their_sale"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
