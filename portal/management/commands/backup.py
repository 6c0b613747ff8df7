"""``python manage.py backup``: write one backup set (database dump, media, manifest) into
``BACKUP_DIR`` (``make backup``; docs/operations.md, "Backups and restore"). PostgreSQL only."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from core import backups


class Command(BaseCommand):
    help = "Write a timestamped backup set: pg_dump (custom format), a tar of MEDIA_ROOT and a manifest."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir", dest="backup_dir", type=Path, default=None, help="where sets go (default: BACKUP_DIR)"
        )
        parser.add_argument(
            "--keep", type=int, default=None, help="then remove all but the newest KEEP sets in the folder"
        )
        parser.add_argument("--media-root", type=Path, default=None, help="default: MEDIA_ROOT")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the database alias")

    def handle(self, *args, backup_dir: Path | None, keep: int | None, media_root, database, **options):
        backup_dir = Path(backup_dir or settings.BACKUP_DIR)
        media_root = Path(media_root or settings.MEDIA_ROOT)
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1: the set just written is kept")
        try:
            source = backups.Database.from_settings(connections[database].settings_dict)
            result = backups.backup(
                database=source, media_root=media_root, backup_dir=backup_dir, say=self.stdout.write
            )
            removed = backups.prune(backup_dir, keep) if keep else []
        except backups.BackupError as exc:
            raise CommandError(f"backup refused: {exc}") from exc
        manifest = result.manifest
        for name, entry in manifest["files"].items():
            self.stdout.write(f"  {name}: {entry['bytes']} bytes, sha256 {entry['sha256']}")
        for group, tables in manifest["checks"].items():
            rows = ", ".join(f"{table} {entry['rows']}" for table, entry in tables.items())
            self.stdout.write(f"  {group}: {rows}")
        for path in removed:
            self.stdout.write(f"  removed the older set {path.name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup set written: {result.path} ({len(manifest['tables'])} tables, "
                f"{manifest['migrations']['applied']} migrations, {manifest['media']['files']} media files)"
            )
        )
