"""``flush`` that may wipe the append-only ledger.

Django's ``flush`` empties every table. PostgreSQL does it with TRUNCATE, which row triggers do
not see; SQLite deletes row by row, which the ledger's delete trigger (and the guards of approved
statements) refuse. This command lifts the SQLite triggers for the wipe and puts them back in the same transaction, so a flush (and the
test runner's flush between transactional tests) works while any other delete stays refused.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from revenue import ledger_sql


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            ledger_sql.run(connection, install=False)
            ledger_sql.statement_guards_run(connection, install=False)
            try:
                return super().handle(**options)
            finally:
                ledger_sql.run(connection, install=True)
                ledger_sql.statement_guards_run(connection, install=True)
