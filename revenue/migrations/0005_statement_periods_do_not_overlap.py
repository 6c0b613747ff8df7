"""Two statements of one partner's scenario never cover the same day (an audit found a
superseded agreement's week and its successor's first day settled twice). PostgreSQL refuses
it with an exclusion constraint over the period's date range (btree_gist for the equality
parts); SQLite serialises its writers, and settlement checks under the agreement lock there.
Installing fails if overlapping statements already exist: they must be resolved first."""

from django.db import migrations

INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist;",
    """
    ALTER TABLE revenue_statement ADD CONSTRAINT statement_periods_do_not_overlap
    EXCLUDE USING gist (
        partner_id WITH =,
        scenario_code WITH =,
        daterange(period_start, period_end, '[]') WITH &&
    );
    """,
]
REMOVE = ["ALTER TABLE revenue_statement DROP CONSTRAINT IF EXISTS statement_periods_do_not_overlap;"]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in INSTALL:
            schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in REMOVE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("revenue", "0004_ledger_partner_index"),
    ]

    operations = [migrations.RunPython(install, remove)]
