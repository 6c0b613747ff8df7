"""Settlement's ledger index covers what settling reads (currency, id, refund_of, product, kind,
amount): summing a month is an index-only scan, so it costs the month's rows, not the ledger's
(docs/benchmarks.md, "The ledger at 10M rows"). The new index is built before the old one goes.
On a large ledger this build holds a write lock on the ledger for its duration (minutes at
10M rows): run it in a quiet hour (docs/operations.md)."""

from django.db import migrations, models


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
    ]
