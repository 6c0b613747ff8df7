"""The database half of the ledger's append-only rule: triggers that refuse every UPDATE and
DELETE of a transaction; and the guards of approved statements (below). Nothing about a stored transaction ever changes — not even which
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
    "offer_id",
    "offer_quoted_at",
    "late",
)

# The app's database role may only read and add rows of these tables (``grant_app_role``).
APPEND_ONLY_TABLES = ("revenue_transaction",)

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


# --------------------------------------------------------------------------------------
# Statements: what was approved stays as approved
# --------------------------------------------------------------------------------------
# Once a statement is approved (or paid) its money, period, ledger bounds, agreement, partner
# and approval never change, it never returns to draft, and neither it, its lines nor its
# status history can be deleted. Status moves onward (approved → paid, and whatever payment
# steps come) and the payment columns stay writable: only the columns named here are frozen,
# so a payment column added later is free without touching the triggers. Drafts are free.
#
# Installed by their own migration; ``flush`` (SQLite) lifts them with the ledger's. A later
# migration that rebuilds one of these tables on SQLite must call ``statement_guards_run``
# again (a rebuild drops the table's triggers).
# Every status after draft is guarded, so a payment step added later is guarded from its start.
DRAFT = "draft"
STATEMENT_FROZEN_COLUMNS = (
    "agreement_id",
    "partner_id",
    "scenario_code",
    "period_start",
    "period_end",
    "currency",
    "transaction_count",
    "gross_amount",
    "share_amount",
    "adjustment_amount",
    "ledger_after",
    "ledger_through",
    "generated_at",
    "prepared_by_id",
    "prepared_at",
    "approved_by_id",
    "approved_at",
)
STATUS_ROW_FROZEN_COLUMNS = (
    "statement_id",
    "from_status",
    "to_status",
    "changed_by_id",
    "changed_at",
    "reason",
)

STATEMENT_UPDATE_MESSAGE = "revenue statement is approved: its amounts and period cannot be changed"
STATEMENT_DELETE_MESSAGE = "revenue statement is approved: it cannot be deleted"
LINE_MESSAGE = "revenue statement is approved: its lines cannot be added, changed or deleted"
STATUS_ROW_MESSAGE = "revenue statement is approved: its status history cannot be changed or deleted"

_SETTLED = f"<> '{DRAFT}'"
# Only our own table, column and status names go into the text.
_PARENT_SETTLED = "(SELECT status FROM revenue_statement WHERE id = {row}.statement_id) " + _SETTLED  # noqa: S608


def _pg_row(prefix: str, columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


def _sqlite_changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


STATEMENT_POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION revenue_statement_guard() RETURNS trigger AS $$
    BEGIN
        IF OLD.status {_SETTLED} THEN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION '{STATEMENT_DELETE_MESSAGE}' USING ERRCODE = 'restrict_violation';
            END IF;
            IF NEW.status = '{DRAFT}'
               OR {_pg_row("NEW", STATEMENT_FROZEN_COLUMNS)} IS DISTINCT FROM {_pg_row("OLD", STATEMENT_FROZEN_COLUMNS)}
            THEN
                RAISE EXCEPTION '{STATEMENT_UPDATE_MESSAGE}' USING ERRCODE = 'restrict_violation';
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE OR REPLACE FUNCTION revenue_statement_line_guard() RETURNS trigger AS $$
    BEGIN
        IF (TG_OP <> 'INSERT' AND {_PARENT_SETTLED.format(row="OLD")})
           OR (TG_OP <> 'DELETE' AND {_PARENT_SETTLED.format(row="NEW")}) THEN
            RAISE EXCEPTION '{LINE_MESSAGE}' USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE OR REPLACE FUNCTION revenue_statement_status_guard() RETURNS trigger AS $$
    BEGIN
        IF {_PARENT_SETTLED.format(row="OLD")}
           AND (TG_OP = 'DELETE'
                OR {_pg_row("NEW", STATUS_ROW_FROZEN_COLUMNS)} IS DISTINCT FROM {_pg_row("OLD", STATUS_ROW_FROZEN_COLUMNS)})
        THEN
            RAISE EXCEPTION '{STATUS_ROW_MESSAGE}' USING ERRCODE = 'restrict_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER revenue_statement_guard BEFORE UPDATE OR DELETE ON revenue_statement
    FOR EACH ROW EXECUTE FUNCTION revenue_statement_guard();
    """,
    """
    CREATE TRIGGER revenue_statement_line_guard BEFORE INSERT OR UPDATE OR DELETE ON revenue_statementline
    FOR EACH ROW EXECUTE FUNCTION revenue_statement_line_guard();
    """,
    """
    CREATE TRIGGER revenue_statement_status_guard BEFORE UPDATE OR DELETE ON revenue_statementstatuschange
    FOR EACH ROW EXECUTE FUNCTION revenue_statement_status_guard();
    """,
]
STATEMENT_POSTGRESQL_REMOVE = [
    "DROP TRIGGER IF EXISTS revenue_statement_guard ON revenue_statement;",
    "DROP TRIGGER IF EXISTS revenue_statement_line_guard ON revenue_statementline;",
    "DROP TRIGGER IF EXISTS revenue_statement_status_guard ON revenue_statementstatuschange;",
    "DROP FUNCTION IF EXISTS revenue_statement_guard();",
    "DROP FUNCTION IF EXISTS revenue_statement_line_guard();",
    "DROP FUNCTION IF EXISTS revenue_statement_status_guard();",
]

STATEMENT_SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_statement_frozen BEFORE UPDATE ON revenue_statement
    WHEN OLD.status {_SETTLED} AND (NEW.status = '{DRAFT}' OR {_sqlite_changed(STATEMENT_FROZEN_COLUMNS)})
    BEGIN SELECT RAISE(ABORT, '{STATEMENT_UPDATE_MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_statement_kept BEFORE DELETE ON revenue_statement
    WHEN OLD.status {_SETTLED}
    BEGIN SELECT RAISE(ABORT, '{STATEMENT_DELETE_MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_statement_line_no_insert BEFORE INSERT ON revenue_statementline
    WHEN {_PARENT_SETTLED.format(row="NEW")}
    BEGIN SELECT RAISE(ABORT, '{LINE_MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_statement_line_no_update BEFORE UPDATE ON revenue_statementline
    WHEN {_PARENT_SETTLED.format(row="OLD")} OR {_PARENT_SETTLED.format(row="NEW")}
    BEGIN SELECT RAISE(ABORT, '{LINE_MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_statement_line_no_delete BEFORE DELETE ON revenue_statementline
    WHEN {_PARENT_SETTLED.format(row="OLD")}
    BEGIN SELECT RAISE(ABORT, '{LINE_MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_statement_status_no_update
    BEFORE UPDATE ON revenue_statementstatuschange
    WHEN {_PARENT_SETTLED.format(row="OLD")} AND ({_sqlite_changed(STATUS_ROW_FROZEN_COLUMNS)})
    BEGIN SELECT RAISE(ABORT, '{STATUS_ROW_MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS revenue_statement_status_no_delete
    BEFORE DELETE ON revenue_statementstatuschange
    WHEN {_PARENT_SETTLED.format(row="OLD")}
    BEGIN SELECT RAISE(ABORT, '{STATUS_ROW_MESSAGE}'); END;
    """,
]
STATEMENT_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS revenue_statement_frozen;",
    "DROP TRIGGER IF EXISTS revenue_statement_kept;",
    "DROP TRIGGER IF EXISTS revenue_statement_line_no_insert;",
    "DROP TRIGGER IF EXISTS revenue_statement_line_no_update;",
    "DROP TRIGGER IF EXISTS revenue_statement_line_no_delete;",
    "DROP TRIGGER IF EXISTS revenue_statement_status_no_update;",
    "DROP TRIGGER IF EXISTS revenue_statement_status_no_delete;",
]


def statement_guards(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return STATEMENT_POSTGRESQL_INSTALL if install else STATEMENT_POSTGRESQL_REMOVE
    if vendor == "sqlite":
        return STATEMENT_SQLITE_INSTALL if install else STATEMENT_SQLITE_REMOVE
    return []


def statement_guards_run(connection, *, install: bool) -> None:
    with connection.cursor() as cursor:
        for sql in statement_guards(connection.vendor, install=install):
            cursor.execute(sql)
