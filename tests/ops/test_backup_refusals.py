"""What ``backup`` refuses and how old sets are pruned: no PostgreSQL needed."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core import backups


@pytest.mark.django_db
def test_sqlite_is_refused_with_nothing_written(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite refusal (PostgreSQL backs up: tests/ops/test_backup_restore.py)")

    with pytest.raises(CommandError, match=r"backups need PostgreSQL \(DATABASE_URL=postgres://"):
        call_command("backup", "--dir", str(tmp_path / "sets"))

    assert not (tmp_path / "sets").exists()


def test_a_url_that_is_not_postgresql_is_refused():
    with pytest.raises(backups.BackupError, match="backups need PostgreSQL"):
        backups.Database.from_url("sqlite:////tmp/x.sqlite3")


def test_prune_keeps_the_newest_complete_sets(tmp_path):
    for stamp in ("20261101T020000Z", "20261102T020000Z", "20261103T020000Z", "20261104T020000Z"):
        folder = tmp_path / f"portal-{stamp}"
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"format": 1}))
    # A set without a manifest was never finished: not counted, not removed.
    (tmp_path / "portal-20261105T020000Z").mkdir()

    removed = backups.prune(tmp_path, keep=2)

    assert [path.name for path in removed] == ["portal-20261101T020000Z", "portal-20261102T020000Z"]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "portal-20261103T020000Z",
        "portal-20261104T020000Z",
        "portal-20261105T020000Z",
    ]


def test_a_folder_without_a_manifest_is_not_restored(tmp_path):
    with pytest.raises(CommandError, match=r"is not a backup set: it has no manifest\.json"):
        call_command("restore", str(tmp_path), "--target-database-url", "postgres://x@127.0.0.1:1/none")


def test_a_listing_reads_back_what_it_wrote(tmp_path):
    (tmp_path / "kyb" / "7").mkdir(parents=True)
    (tmp_path / "kyb" / "7" / "licence two.pdf").write_bytes(b"%PDF-1.4 licence")
    (tmp_path / "invoice.xml").write_bytes(b"<x/>")

    files = backups.media_files(tmp_path)
    listing = backups.parse_listing(backups.media_listing(tmp_path, files))

    assert sorted(listing) == ["invoice.xml", "kyb/7/licence two.pdf"]
    assert listing["invoice.xml"] == backups.file_sha256(tmp_path / "invoice.xml")
