"""Production runs the app as a PostgreSQL role that does not own the tables (``migrate`` runs
as the owner, then ``grant_app_role``). As that role the database's guards cannot be lifted: no
TRUNCATE, no ``ALTER TABLE … DISABLE TRIGGER``, no ``session_replication_role = replica``, no
change of the ledger or of an approved statement — while recording transactions and settling,
approving and paying statements work as usual.

The roles, the ownership and the grants are made inside the test's transaction and rolled back
with it."""

from __future__ import annotations

import contextlib
import uuid
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from revenue import services
from revenue.models import Statement, Transaction

from .factories import item, record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def roles(db):
    """``(owner, app)``: the owner owns every table of the schema; the app got its grants."""
    if connection.vendor != "postgresql":
        pytest.skip("database roles are PostgreSQL's")
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"portal_owner_{suffix}", f"portal_app_{suffix}"
    execute(f"CREATE ROLE {owner} NOLOGIN")
    execute(f"CREATE ROLE {app} NOLOGIN")
    execute(
        "DO $$ DECLARE t record; BEGIN "
        "FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP "
        f"EXECUTE format('ALTER TABLE %I OWNER TO {owner}', t.tablename); END LOOP; END $$"
    )
    # A staging table this session made as the superuser would not be the app's.
    execute("DROP TABLE IF EXISTS pg_temp.revenue_transaction_incoming")
    execute(f"SET ROLE {owner}")
    try:
        call_command("grant_app_role", app, stdout=StringIO())
    finally:
        execute("RESET ROLE")
    return owner, app


@contextlib.contextmanager
def as_role(role: str):
    execute(f"SET ROLE {role}")
    try:
        yield
    finally:
        execute("RESET ROLE")


def refused(sql: str, match: str) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        execute(sql)


@pytest.fixture
def approved(partner, agreement, maker, checker):
    record(partner, item(amount="100.00"))
    services.settlement_start(through=date(2026, 1, 31), trigger="command", dispatch=False)
    statement = Statement.objects.get()
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker)
    return statement


def test_the_app_role_cannot_lift_the_ledgers_guards(roles, approved):
    _owner, app = roles
    with as_role(app):
        refused("TRUNCATE revenue_transaction", "permission denied")
        refused("TRUNCATE revenue_statement CASCADE", "permission denied")
        refused("ALTER TABLE revenue_transaction DISABLE TRIGGER ALL", "must be owner")
        refused("ALTER TABLE revenue_statement DISABLE TRIGGER revenue_statement_guard", "must be owner")
        refused("SET session_replication_role = replica", "permission denied")
        refused("UPDATE revenue_transaction SET amount = 1", "permission denied")
        refused("DELETE FROM revenue_transaction", "permission denied")
        refused("DROP TABLE revenue_transaction CASCADE", "must be owner")

    assert Transaction.objects.count() == 1


def test_the_app_role_cannot_change_or_delete_an_approved_statement(roles, approved):
    _owner, app = roles
    with as_role(app):
        refused(f"UPDATE revenue_statement SET share_amount = 9999 WHERE id = {approved.pk}", "is approved")
        refused(f"DELETE FROM revenue_statementline WHERE statement_id = {approved.pk}", "is approved")
        refused(f"DELETE FROM revenue_statement WHERE id = {approved.pk}", "is approved")

    assert Statement.objects.get(pk=approved.pk).share_amount == Decimal("30.00")


def test_recording_and_settling_work_as_the_app_role(roles, partner, agreement, maker, checker):
    _owner, app = roles
    with as_role(app):
        result = record(
            partner,
            item(amount="100.00", external_id="role-sale"),
            item(amount="20.00", kind="refund", refund_of="role-sale"),
        )
        run = services.settlement_start(through=date(2026, 1, 31), trigger="command", dispatch=False)
        statement = Statement.objects.get()
        services.statement_prepare(statement=statement, actor=maker)
        services.statement_approve(statement=statement, actor=checker)
        services.statement_pay(
            statement=statement, actor=maker, payout_reference="TRF-1", paid_on=date(2026, 2, 5)
        )
        services.statement_payout_confirm(statement=statement, actor=checker)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            [user] = cursor.fetchone()

    assert user == app
    assert result.created == 2
    assert (run.status, run.statements_created) == ("succeeded", 1)
    statement.refresh_from_db()
    assert (statement.status, statement.share_amount) == ("paid", Decimal("24.00"))


def test_grant_app_role_refuses_the_owner_itself_and_unknown_roles(roles):
    with pytest.raises(CommandError, match="no role"):
        call_command("grant_app_role", "nobody_here", stdout=StringIO())
    with pytest.raises(CommandError, match="not a role name"):
        call_command("grant_app_role", "app; DROP TABLE x", stdout=StringIO())
