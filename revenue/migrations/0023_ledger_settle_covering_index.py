"""Settlement's ledger index covers what settling reads (currency, id, refund_of, product, kind,
amount): summing a month is an index-only scan, so it costs the month's rows, not the ledger's
(docs/benchmarks.md, "The ledger at 10M rows"). The new index is built before the old one goes.
On a large ledger this build holds a write lock on the ledger for its duration (minutes at
10M rows): run it in a quiet hour (docs/operations.md).

An index-only scan skips the heap only on pages the visibility map marks all-visible, which
vacuum maintains. The ledger is insert-only, so on PostgreSQL vacuum now runs after every
100,000 inserted rows whatever the table's size (PostgreSQL's default waits for 20 % of the
table: 2M rows at 10M), keeping a just-ingested month index-only for the next night's
settlement."""

from django.db import migrations, models

VACUUM_OFTEN = (
    "ALTER TABLE revenue_transaction SET "
    "(autovacuum_vacuum_insert_scale_factor = 0.0, autovacuum_vacuum_insert_threshold = 100000)"
)
VACUUM_DEFAULT = (
    "ALTER TABLE revenue_transaction RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_insert_threshold)"
)


def vacuum_often(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(VACUUM_OFTEN)


def vacuum_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(VACUUM_DEFAULT)


class Migration(migrations.Migration):
    dependencies = [
        ("revenue", "0022_sandbox"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(
                fields=["partner", "scenario_code", "occurred_on"],
                include=("currency", "id", "refund_of", "product", "kind", "amount"),
                name="transaction_settle_cover_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="transaction",
            name="transaction_settle_idx",
        ),
        migrations.RunPython(vacuum_often, vacuum_default),
    ]
