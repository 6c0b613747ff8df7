"""``migrate`` with ``MIGRATION_DATABASE_URL`` runs as the tables' owner and grants the app's
role (the user of ``DATABASE_URL``) its privileges: on a fresh database, the owner owns every
table and the app's role reads and writes rows but cannot truncate, switch triggers off,
replicate, or change the ledger. Slow (a whole migrate): one test."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]

# 500 days on: months to create ahead for both logs, and access-log months past retention.
MAINTAIN = """
from datetime import timedelta
from django.utils import timezone
from partners.models import ApiAccessLog
from partners.services import api_access_log_maintain
from scenarios.services import offer_log_maintain
later = timezone.now() + timedelta(days=500)
offers, access = offer_log_maintain(now=later), api_access_log_maintain(now=later)
ApiAccessLog.objects.create(at=later, method="GET", route="me", path="/api/v1/me/", status=200, latency_ms=1)
print(len(offers.created), len(access.created), len(access.dropped), "written")
"""


def test_migrate_runs_as_the_owner_and_grants_the_app_role():
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("database roles are PostgreSQL's")
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    suffix = uuid.uuid4().hex[:8]
    owner, app, name = f"portal_owner_{suffix}", f"portal_app_{suffix}", f"portal_roles_{suffix}"
    admin = psycopg.connect(
        host=host,
        port=port,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    try:
        admin.execute(f"CREATE ROLE {owner} LOGIN")
        admin.execute(f"CREATE ROLE {app} LOGIN")
        admin.execute(f"CREATE DATABASE {name} OWNER {owner}")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": f"postgres://{app}@{host}:{port}/{name}",
            "MIGRATION_DATABASE_URL": f"postgres://{owner}@{host}:{port}/{name}",
        }
        env.pop("DJANGO_ENV", None)
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert f"granted {app} row access" in done.stdout

        with psycopg.connect(host=host, port=port, user=app, dbname=name, autocommit=True) as conn:
            owners = conn.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
            privileges = conn.execute(
                "SELECT has_table_privilege('revenue_transaction', 'INSERT'),"
                " has_table_privilege('revenue_transaction', 'UPDATE'),"
                " has_table_privilege('revenue_transaction', 'DELETE'),"
                " has_table_privilege('revenue_statement', 'UPDATE'),"
                " has_table_privilege('revenue_statement', 'TRUNCATE')"
            ).fetchone()
            for sql in (
                "TRUNCATE revenue_transaction",
                "ALTER TABLE revenue_transaction DISABLE TRIGGER ALL",
                "SET session_replication_role = replica",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(sql)

        assert owners == [(owner,)]
        assert privileges == (True, False, False, True, False)

        # The daily log maintenance creates and drops monthly partitions: only the owner may,
        # so it connects as the owner (MIGRATION_DATABASE_URL), and the app's role writes into
        # the new months at once (default privileges).
        def maintain(environment):
            return subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", MAINTAIN],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )

        as_app = {key: value for key, value in env.items() if key != "MIGRATION_DATABASE_URL"}
        refused = maintain(as_app)
        assert refused.returncode != 0
        assert "InsufficientPrivilege" in refused.stderr  # no CREATE in the schema, owns no table
        done = maintain(env)
        assert done.returncode == 0, done.stderr
        created_offer, created_access, dropped_access, written = done.stdout.split()[-4:]
        assert int(created_offer) > 0
        assert int(created_access) > 0
        assert int(dropped_access) > 0  # this month's access log is past its retention then
        assert written == "written"
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {app}")
        admin.execute(f"DROP ROLE IF EXISTS {owner}")
        admin.close()
