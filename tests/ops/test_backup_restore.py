"""The backup and restore drill on PostgreSQL: a set written by ``manage.py backup`` restores
into a fresh database whose ledger, statements and API keys are the source's row for row, and
the verification catches a damaged set, a changed row and a changed media file."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core import backups
from partners.models import PartnerAPIKey, PartnerAPIKeyEvent, PartnerDocument
from partners.services.keys import api_key_issue
from revenue.models import Statement, StatementLine, StatementStatusChange, Transaction
from revenue.periods import Period
from revenue.services import statement_generate
from tests.factories import StaffFactory
from tests.partners.factories import add_required_documents
from tests.revenue.factories import item, record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHECKED = (Transaction, Statement, StatementLine, StatementStatusChange, PartnerAPIKey, PartnerAPIKeyEvent)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: backups are pg_dump/pg_restore (SQLite is refused, tested elsewhere)")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seeded(partner, agreement, media_root):
    """A ledger (sales and a refund over two months), January's statement, two API keys and the
    partner's KYB documents (real files under MEDIA_ROOT)."""
    staff = StaffFactory(email="kyb@bank.example", is_superuser=True)
    add_required_documents(partner, staff)
    sales = [item(amount=f"{10 + day}.{day:02d}", day=date(2026, 1, day)) for day in range(1, 29)]
    record(partner, *sales, item(amount="55.55", day=date(2026, 2, 3)))
    record(
        partner, item(kind="refund", amount="11.01", day=date(2026, 2, 4), refund_of=sales[0]["external_id"])
    )
    statement_generate(agreement_id=agreement.pk, period=Period(date(2026, 1, 1), date(2026, 1, 31)))
    keys = [
        api_key_issue(partner=partner, actor=None, name=name, scopes=["read", "transactions"], channel="erp")
        for name in ("ERP", "Mini-program")
    ]
    return keys


def database_url(name: str) -> str:
    s = connection.settings_dict
    credentials = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        credentials += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{credentials}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def target():
    """The name of a fresh database for the restore (it does not exist yet; dropped after)."""
    name = f"{connection.settings_dict['NAME']}_restored"
    maintenance = backups.Database.from_settings(connection.settings_dict).with_name("postgres")

    def drop():
        with maintenance.connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    drop()
    yield name
    drop()


def backup_set(tmp_path: Path) -> Path:
    call_command("backup", "--dir", str(tmp_path / "sets"), stdout=StringIO())
    (found,) = (tmp_path / "sets").iterdir()
    return found


def restore(folder: Path, target: str, media: Path, *extra: str) -> str:
    out = StringIO()
    call_command(
        "restore",
        str(folder),
        "--target-database-url",
        database_url(target),
        "--media-root",
        str(media),
        *extra,
        stdout=out,
        stderr=out,
    )
    return out.getvalue()


def rows(model, cursor) -> list[tuple]:
    columns = ", ".join(f'"{field.column}"' for field in model._meta.concrete_fields)
    cursor.execute(f'SELECT {columns} FROM "{model._meta.db_table}" ORDER BY "{model._meta.pk.column}"')
    return [tuple(row) for row in cursor.fetchall()]


def on_target(target: str):
    return backups.Database.from_settings(connection.settings_dict).with_name(target).connect(autocommit=True)


def test_a_restored_set_has_the_same_ledger_statements_keys_and_files(seeded, tmp_path, target, media_root):
    folder = backup_set(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["checks"]["ledger"]["revenue_transaction"]["rows"] == 30
    assert manifest["checks"]["keys"]["partners_partnerapikey"]["rows"] == 2

    out = restore(folder, target, tmp_path / "restored-media")

    assert "VERIFIED" in out
    # The rows themselves, read from both databases: not only the manifest's numbers.
    # Both read by the same driver, so a JSON or date column compares as the same Python value.
    with (
        on_target(connection.settings_dict["NAME"]) as source_conn,
        source_conn.cursor() as source,
        on_target(target) as conn,
        conn.cursor() as restored,
    ):
        for model in CHECKED:
            expected = rows(model, source)
            assert expected, f"the drill seeds {model.__name__}"
            assert rows(model, restored) == expected, model.__name__
    # The uploaded KYB documents, byte for byte.
    documents = list(PartnerDocument.objects.all())
    assert documents
    for document in documents:
        assert (tmp_path / "restored-media" / document.file.name).read_bytes() == (
            media_root / document.file.name
        ).read_bytes()
    # A second restore into the now populated database is refused without --force, and
    # --force starts it again from an empty database.
    with pytest.raises(CommandError, match="is not empty"):
        restore(folder, target, tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()
    out = restore(folder, target, tmp_path / "restored-media", "--force")
    assert "dropped database" in out
    assert "VERIFIED" in out


def test_the_manifest_holds_no_secret(seeded, tmp_path, settings):
    text = (backup_set(tmp_path) / "manifest.json").read_text()

    assert settings.SECRET_KEY not in text
    for issued in seeded:
        assert issued.key not in text
    assert '"user"' not in text
    assert '"password"' not in text
    secret = backups.Database.from_url("postgres://ops:s3cr3t-pw@db.example:5433/portal")
    assert "s3cr3t-pw" not in repr(secret) + json.dumps(secret.describe())


@pytest.mark.parametrize("name", ["database.dump", "media.tar.gz", "media.sha256"])
def test_a_damaged_file_of_the_set_is_refused_before_anything_is_restored(seeded, tmp_path, target, name):
    folder = backup_set(tmp_path)
    path = folder / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="FAILED VERIFICATION: the set is damaged"):
        restore(folder, target, tmp_path / "restored-media")

    assert not backups.database_exists(
        backups.Database.from_settings(connection.settings_dict).with_name(target)
    )
    assert not (tmp_path / "restored-media").exists()


def verify_only(folder: Path, target: str, media: Path) -> str:
    """The problems ``restore --verify-only`` reports (it must fail)."""
    errors = StringIO()
    with pytest.raises(CommandError, match="FAILED VERIFICATION: the restored data differs"):
        call_command(
            "restore",
            str(folder),
            "--target-database-url",
            database_url(target),
            "--media-root",
            str(media),
            "--verify-only",
            stdout=StringIO(),
            stderr=errors,
        )
    return errors.getvalue()


def test_a_changed_row_or_media_file_in_the_restored_copy_fails_verification(seeded, tmp_path, target):
    folder = backup_set(tmp_path)
    media = tmp_path / "restored-media"
    restore(folder, target, media)
    assert "VERIFIED" in restore(folder, target, media, "--verify-only")

    # A renamed key: the same row count, another content.
    with on_target(target) as conn:
        conn.execute("UPDATE partners_partnerapikey SET name = 'Renamed' WHERE name = 'ERP'")
    report = verify_only(folder, target, media)
    assert "keys: partners_partnerapikey content differs" in report
    assert "table partners_partnerapikey" not in report

    # A lost statement line and a changed media file: each named.
    with on_target(target) as conn:
        conn.execute("UPDATE partners_partnerapikey SET name = 'ERP' WHERE name = 'Renamed'")
        conn.execute(
            "DELETE FROM revenue_statementline WHERE id = (SELECT min(id) FROM revenue_statementline)"
        )
    some_file = next(path for path in sorted(media.rglob("*")) if path.is_file())
    some_file.write_bytes(b"not the uploaded document")
    report = verify_only(folder, target, media)
    assert "table revenue_statementline:" in report
    assert "statements: revenue_statementline content differs" in report
    assert f"media {some_file.relative_to(media).as_posix()}: content differs" in report
    assert "keys:" not in report


def test_without_pg_dump_nothing_is_written(seeded, tmp_path, monkeypatch):
    monkeypatch.setattr(backups.shutil, "which", lambda name: None)

    with pytest.raises(CommandError, match="pg_dump is not installed"):
        call_command("backup", "--dir", str(tmp_path / "sets"))

    assert not (tmp_path / "sets").exists() or not list((tmp_path / "sets").iterdir())
