"""The ledger drops its partner-only index (every other index of the table leads with the
partner) and, on PostgreSQL, keeps its planner statistics fresh: analysed after every 100,000
changed rows whatever its size, so a partner's first large batches are planned with its rows
counted. On SQLite the change rebuilds the table, so the append-only triggers go in again."""

import django.db.models.deletion
from django.db import migrations, models

from revenue import ledger_sql

ANALYZE_OFTEN = (
    "ALTER TABLE revenue_transaction SET "
    "(autovacuum_analyze_scale_factor = 0.0, autovacuum_analyze_threshold = 100000)"
)
ANALYZE_DEFAULT = "ALTER TABLE revenue_transaction RESET (autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)"


def remove_triggers(apps, schema_editor):
    ledger_sql.run(schema_editor.connection, install=False)


def install_triggers(apps, schema_editor):
    ledger_sql.run(schema_editor.connection, install=True)


def analyze_often(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ANALYZE_OFTEN)


def analyze_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ANALYZE_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_api_keys_usage_access_log_webhooks"),
        ("revenue", "0003_statement_ledger_bounds"),
    ]

    operations = [
        migrations.RunPython(remove_triggers, install_triggers, elidable=False),
        migrations.AlterField(
            model_name="transaction",
            name="partner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="partners.partner",
                verbose_name="partner",
            ),
        ),
        migrations.RunPython(install_triggers, remove_triggers, elidable=False),
        migrations.RunPython(analyze_often, analyze_default, elidable=False),
    ]
