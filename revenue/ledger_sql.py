"""The database half of the ledger's append-only rule: triggers that refuse every UPDATE and
DELETE of a transaction. Nothing about a stored transaction ever changes — not even which
statement settled it: that follows from the statement's ledger bounds (see
``revenue.services.settlement``), so settling writes no ledger row.

Migrations install them (0002, and 0003 again after it rebuilt the table on SQLite);
``flush`` (SQLite only: PostgreSQL's TRUNCATE does not fire row triggers) lifts them for the
length of a full wipe. A later migration that rebuilds the ``revenue_transaction`` table on
SQLite must call ``install`` again.
"""

from __future__ import annotations

# Every stored column, in the order the ledger service inserts them (after ``id``).
COLUMNS = (
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
    "refund_of_id",
    "content_hash",
    "late",
)

UPDATE_MESSAGE = "revenue ledger is append-only: a transaction cannot be changed"
DELETE_MESSAGE = "revenue ledger is append-only: a transaction cannot be deleted"


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
    """
    CREATE TRIGGER revenue_transaction_append_only
    BEFORE UPDATE ON revenue_transaction
    FOR EACH ROW EXECUTE FUNCTION revenue_transaction_append_only();
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

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_transaction_no_update BEFORE UPDATE ON revenue_transaction
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
