"""``python manage.py grant_app_role ROLE``: give the app's PostgreSQL role what it needs and no
more. Run as the tables' owner (``migrate`` does it itself when ``MIGRATION_DATABASE_URL`` is
set; see docs/operations.md).

The role may read and write rows (SELECT, INSERT, UPDATE, DELETE on every table, USAGE and
SELECT on every sequence) — the ledger only SELECT and INSERT — and the same on every table
and sequence the owner creates later (default privileges). It gets no TRUNCATE, REFERENCES or
TRIGGER, and since it owns nothing it cannot ALTER a table (so not switch a trigger off), and as
no superuser it cannot set ``session_replication_role``: the database's guards hold for the app.
"""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from revenue.ledger_sql import APPEND_ONLY_TABLES

ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")


def app_role_grants(*, role: str, schema: str, quote) -> list[str]:
    """The statements granting ``role`` (already checked) the app's privileges in ``schema``."""
    role, schema = quote(role), quote(schema)
    statements = [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    statements += [
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {schema}.{quote(table)} FROM {role}"
        for table in APPEND_ONLY_TABLES
    ]
    return statements


class Command(BaseCommand):
    help = "Grant the app's PostgreSQL role row access to every table (the ledger: read and insert only)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the app connects as (the user of DATABASE_URL)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database alias")

    def handle(self, *args, role: str, database: str, **options):
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role is for PostgreSQL; SQLite has no roles")
        if not ROLE_NAME.fullmatch(role):
            raise CommandError(f"not a role name: {role!r}")
        with transaction.atomic(using=database), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_schema(), current_user, rolsuper FROM pg_roles WHERE rolname = %s", [role]
            )
            found = cursor.fetchone()
            if found is None:
                raise CommandError(f"no role {role!r}: create it first (CREATE ROLE {role} LOGIN PASSWORD …)")
            schema, owner, superuser = found
            if superuser:
                raise CommandError(f"{role!r} is a superuser: the app's role must be an ordinary one")
            if role == owner:
                raise CommandError(
                    f"{role!r} is the role running this command: the app must not own the tables"
                )
            for sql in app_role_grants(role=role, schema=schema, quote=connection.ops.quote_name):
                cursor.execute(sql)
        self.stdout.write(
            f"granted {role} row access in schema {schema} (owner {owner}; ledger: select, insert)"
        )
