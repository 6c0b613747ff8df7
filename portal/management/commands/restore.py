"""``python manage.py restore SET``: restore a backup set into an empty PostgreSQL database and
a media folder, then verify both against the set's manifest (``make restore``; see
docs/operations.md, "Backups and restore"). Any difference is reported and exits non-zero."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader

from core import backups


class Command(BaseCommand):
    help = (
        "Restore a backup set into an empty database and media folder, then verify it against its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "backup_set", metavar="SET", type=Path, help="the backup set's folder (BACKUP_DIR/portal-…)"
        )
        parser.add_argument(
            "--target-database-url",
            default=os.environ.get("TARGET_DATABASE_URL", ""),
            help="the database to restore into (default: TARGET_DATABASE_URL, else the app's own); "
            "created when it does not exist",
        )
        parser.add_argument(
            "--media-root",
            type=Path,
            default=os.environ.get("TARGET_MEDIA_ROOT") or None,
            help="where media files go (default: TARGET_MEDIA_ROOT, else MEDIA_ROOT)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="restore over a database that has tables (it is dropped and created again: stop the "
            "app first) and into a media folder that has files (written over)",
        )
        parser.add_argument(
            "--no-privileges",
            action="store_true",
            help="leave out the dump's grants (the app's role has another name here; run migrate after)",
        )
        parser.add_argument(
            "--verify-only", action="store_true", help="restore nothing: verify a restored database and media"
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the alias used without a URL")

    def handle(self, *args, backup_set: Path, target_database_url, media_root, force, verify_only, **options):
        try:
            self._handle(backup_set, target_database_url, media_root, force, verify_only, options)
        except backups.BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from exc

    def _handle(self, folder: Path, url: str, media_root, force: bool, verify_only: bool, options) -> None:
        manifest = backups.load_manifest(folder)
        target = (
            backups.Database.from_url(url)
            if url
            else backups.Database.from_settings(connections[options["database"]].settings_dict)
        )
        media_root = Path(media_root or settings.MEDIA_ROOT)
        self.stdout.write(
            f"Backup set {folder.name}: database {manifest['database']['name']!r} of "
            f"{manifest['created_at']}, {manifest['media']['files']} media files"
        )

        # 1. The set itself, before anything is touched.
        problems = backups.verify_files(folder, manifest)
        if problems:
            self._fail(["the set is damaged; nothing was restored", *problems])
        self.stdout.write("  files: sizes and SHA-256 match the manifest")

        if not verify_only:
            # 2. Every refusal before the first write.
            exists = backups.database_exists(target)
            tables = backups.database_tables(target) if exists else 0
            if tables and not force:
                raise backups.BackupError(
                    f"database {target.name!r} is not empty ({tables} tables, views or sequences): "
                    "restore into a new database, or pass --force (FORCE=1) to drop and re-create it"
                )
            present = backups.media_files(media_root)
            if present and not force:
                raise backups.BackupError(
                    f"{media_root} already holds {len(present)} files: restore into an empty folder "
                    "(--media-root / TARGET_MEDIA_ROOT), or pass --force (FORCE=1) to write over them"
                )
            # 3. The database, then the media.
            if tables:
                # --force: a clean slate. (``pg_restore --clean`` cannot drop partitioned tables'
                # inherited constraints, so the database itself is dropped and created again.)
                backups.database_drop(target)
                self.stdout.write(f"  dropped database {target.name!r} (--force)")
            if tables or not exists:
                backups.database_create(target)
                self.stdout.write(f"  created database {target.name!r}")
            backups.restore_database(target, folder / backups.DUMP, privileges=not options["no_privileges"])
            self.stdout.write(f"  database restored into {target.name!r}")
            count = backups.restore_media(folder, media_root)
            self.stdout.write(f"  {count} media files restored into {media_root}")

        # 4. Verification, computed the way the backup computed it.
        problems = backups.verify_database(target, manifest)
        media_problems, extra = backups.verify_media(folder, media_root)
        problems += media_problems
        if problems:
            self._fail([f"the restored data differs from backup set {folder.name}", *problems])
        self._migration_note(target)
        if extra:
            self.stdout.write(f"  note: {media_root} holds {extra} files the backup did not (left alone)")
        summary = "; ".join(
            f"{group}: " + ", ".join(f"{table} {entry['rows']} rows" for table, entry in tables.items())
            for group, tables in manifest["checks"].items()
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"VERIFIED: database {target.name!r} and {media_root} match backup set {folder.name} "
                f"({len(manifest['tables'])} tables' row counts, {manifest['media']['files']} media files; {summary})"
            )
        )

    def _fail(self, lines: list[str]) -> None:
        for line in lines[1:]:
            self.stderr.write(f"  MISMATCH {line}")
        raise CommandError(f"FAILED VERIFICATION: {lines[0]} ({len(lines) - 1} problems)")

    def _migration_note(self, target: backups.Database) -> None:
        """Says when this code's migrations and the restored database's differ (not an error:
        a set restored by a newer release needs ``migrate``)."""
        with target.connect(autocommit=True) as conn:
            applied = set(conn.execute("SELECT app, name FROM django_migrations").fetchall())
        known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
        if missing := known - applied:
            self.stdout.write(
                f"  note: this code has {len(missing)} migrations the backup predates: run migrate "
                "against the restored database before starting the app"
            )
        if unknown := applied - known:
            self.stdout.write(
                f"  note: the backup has {len(unknown)} migrations this code does not know: "
                "it comes from a newer release"
            )
