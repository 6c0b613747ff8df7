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
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {app}")
        admin.execute(f"DROP ROLE IF EXISTS {owner}")
        admin.close()
