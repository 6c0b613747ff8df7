"""The database half of the ledger's append-only rule: triggers that refuse deleting a
transaction and changing anything but setting ``statement`` once from null.

Migration 0002 installs them; ``flush`` (SQLite only: PostgreSQL's TRUNCATE does not fire row
triggers) lifts them for the length of a full wipe. A later migration that rebuilds the
``revenue_transaction`` table on SQLite must call ``install`` again.
"""

from __future__ import annotations

# Every column but ``statement_id``: none of them may ever change.
FROZEN_COLUMNS = (
    "id",
    "partner_id",
    "external_id",
    "scenario_id",
    "scenario_code",
    "product_id",
    "kind",
    "amount",
    "currency",
    "occurred_at",
    "occurred_on",
    "received_at",
    "customer_ref",
    "source",
    "content_hash",
)

UPDATE_MESSAGE = "revenue ledger is append-only: only the statement of a transaction can be set, once"
DELETE_MESSAGE = "revenue ledger is append-only: a transaction cannot be deleted"


# The WHEN clause is evaluated without calling the function: linking a million rows to their
# statement at settlement costs no PL/pgSQL call per row.
_pg_frozen = ", ".join(f"{{side}}.{c}" for c in FROZEN_COLUMNS)
POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION revenue_transaction_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION '{DELETE_MESSAGE}' USING ERRCODE = 'restrict_violation';
        END IF;
        RAISE EXCEPTION '{UPDATE_MESSAGE}' USING ERRCODE = 'restrict_violation';
    END
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE TRIGGER revenue_transaction_append_only
    BEFORE UPDATE ON revenue_transaction
    FOR EACH ROW WHEN (
        OLD.statement_id IS NOT NULL OR NEW.statement_id IS NULL
        OR ROW({_pg_frozen.format(side="OLD")}) IS DISTINCT FROM ROW({_pg_frozen.format(side="NEW")})
    )
    EXECUTE FUNCTION revenue_transaction_append_only();
    """,
    """
    CREATE TRIGGER revenue_transaction_no_delete
    BEFORE DELETE ON revenue_transaction
    FOR EACH ROW EXECUTE FUNCTION revenue_transaction_append_only();
    """,
]
POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS revenue_transaction_append_only ON revenue_transaction;",
    "DROP TRIGGER IF EXISTS revenue_transaction_no_delete ON revenue_transaction;",
    "DROP FUNCTION IF EXISTS revenue_transaction_append_only();",
]

_sqlite_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN_COLUMNS)
SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_transaction_no_update BEFORE UPDATE ON revenue_transaction
    WHEN OLD.statement_id IS NOT NULL OR NEW.statement_id IS NULL OR {_sqlite_changed}
    BEGIN SELECT RAISE(ABORT, '{UPDATE_MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_transaction_no_delete BEFORE DELETE ON revenue_transaction
    BEGIN SELECT RAISE(ABORT, '{DELETE_MESSAGE}'); END;
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS revenue_transaction_no_update;",
    "DROP TRIGGER IF EXISTS revenue_transaction_no_delete;",
]


def statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    return []


def run(connection, *, install: bool) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, install=install):
            cursor.execute(sql)
