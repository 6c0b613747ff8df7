"""SQLite: 0013 rebuilt ``revenue_transaction`` (a column with a default is added by remaking the
table), which drops its append-only triggers; install them again (``IF NOT EXISTS``: running it
twice changes nothing). PostgreSQL keeps its triggers through ``ADD COLUMN``: nothing to do."""

from django.db import migrations

from revenue import ledger_sql


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        ledger_sql.run(schema_editor.connection, install=True)


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0019_funnel_sales_mark"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop, elidable=False),
    ]
