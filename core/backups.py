"""Backup sets and their verification (``manage.py backup`` / ``manage.py restore``).

A set is one folder, ``portal-<UTC time>``, holding:

- ``database.dump``: ``pg_dump --format=custom`` of the whole database;
- ``media.tar.gz``: every regular file under ``MEDIA_ROOT``;
- ``media.sha256``: one line per media file, ``<sha256>  <path>`` (``sha256sum -c`` reads it);
- ``manifest.json``: written last: the size and SHA-256 of the three files above, the applied
  migrations, the row count of every table and a content checksum of the checked tables (the
  ledger, statements, API keys: ``settings.BACKUP_CHECKED_MODELS``).

The counts and checksums are computed in the very snapshot ``pg_dump`` dumps (an exported
snapshot of a REPEATABLE READ transaction), so a busy database still gives a manifest that
describes the dump exactly. A restore computes them again, the same way, on the restored
database and compares. The manifest names the database and its server, never a user or password.

A table's checksum is the SHA-256 of ``COPY (SELECT * FROM table ORDER BY pk) TO STDOUT`` in a
session with fixed output settings (UTC, ISO dates): the same rows give the same bytes on any
server of the same major version. It imports no app (models come by label from the settings).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import environ
import psycopg
from django.apps import apps
from django.conf import settings
from psycopg import sql

FORMAT = 1
DUMP = "database.dump"
MEDIA_TAR = "media.tar.gz"
MEDIA_LIST = "media.sha256"
MANIFEST = "manifest.json"
SET_PREFIX = "portal-"
PARTIAL_SUFFIX = ".partial"
CHUNK = 1024 * 1024

# The output settings of every session that computes checksums: the text COPY writes depends
# on them, so both sides of a comparison fix them.
SESSION_SETTINGS = (
    "SET TIME ZONE 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)


class BackupError(Exception):
    """A refusal or failure, with the message people read."""


# --------------------------------------------------------------------------------------
# Connections
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Database:
    """Where a PostgreSQL database is: libpq parameters (the password stays out of reprs)."""

    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    sslmode: str = ""

    @classmethod
    def from_settings(cls, settings_dict: dict) -> Database:
        if "postgresql" not in settings_dict.get("ENGINE", ""):
            raise BackupError(
                "backups need PostgreSQL (DATABASE_URL=postgres://…); this database is "
                f"{settings_dict.get('ENGINE', '?')}. The embedded SQLite default is for development: "
                "stop the app and copy var/db.sqlite3 if you must keep it."
            )
        options = settings_dict.get("OPTIONS") or {}
        return cls(
            name=str(settings_dict["NAME"]),
            host=str(settings_dict.get("HOST") or ""),
            port=str(settings_dict.get("PORT") or ""),
            user=str(settings_dict.get("USER") or ""),
            password=str(settings_dict.get("PASSWORD") or ""),
            sslmode=str(options.get("sslmode") or ""),
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        try:
            config = environ.Env.db_url_config(url)
        except Exception as exc:  # any parse failure is the same refusal
            raise BackupError(f"not a database URL: {exc}") from exc
        return cls.from_settings(config)

    def with_name(self, name: str) -> Database:
        return Database(name, self.host, self.port, self.user, self.password, self.sslmode)

    def libpq(self) -> dict[str, str]:
        params = {
            "dbname": self.name,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "sslmode": self.sslmode,
        }
        return {key: value for key, value in params.items() if value}

    def environment(self) -> dict[str, str]:
        """The environment of ``pg_dump``/``pg_restore``: no password on a command line."""
        env = dict(os.environ)
        names = {
            "dbname": "PGDATABASE",
            "host": "PGHOST",
            "port": "PGPORT",
            "user": "PGUSER",
            "password": "PGPASSWORD",
            "sslmode": "PGSSLMODE",
        }
        for key, value in self.libpq().items():
            env[names[key]] = value
        return env

    def describe(self) -> dict[str, str]:
        """What the manifest and messages say about it: never the user or password."""
        return {"name": self.name, "host": self.host or "(local socket)", "port": self.port or "5432"}

    def connect(self, **kwargs) -> psycopg.Connection:
        try:
            return psycopg.connect(**self.libpq(), **kwargs)
        except psycopg.OperationalError as exc:
            raise BackupError(f"cannot connect to database {self.name!r}: {exc}".strip()) from exc


def tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``, or a refusal naming what to install."""
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} is not installed (or not on PATH): install the PostgreSQL client of the "
            "server's major version (Debian: apt-get install postgresql-client-15)"
        )
    return path


def tool_version(path: str) -> str:
    # The PostgreSQL client tools found by ``tool`` with arguments built here: no shell, no input.
    done = subprocess.run([path, "--version"], capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout.strip()


# --------------------------------------------------------------------------------------
# Checksums of files and tables
# --------------------------------------------------------------------------------------
def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(path: Path) -> dict:
    return {"bytes": path.stat().st_size, "sha256": file_sha256(path)}


def checked_tables() -> dict[str, list[tuple[str, str]]]:
    """``{"ledger": [(table, pk column), …], …}`` from ``settings.BACKUP_CHECKED_MODELS``."""
    groups = {}
    for group, labels in settings.BACKUP_CHECKED_MODELS.items():
        groups[group] = []
        for label in labels:
            model = apps.get_model(label)
            groups[group].append((model._meta.db_table, model._meta.pk.column))
    return groups


def database_state(cursor: psycopg.Cursor) -> dict:
    """Migrations, every table's row count and the checked tables' checksums, as the
    cursor's transaction sees them."""
    for statement in SESSION_SETTINGS:
        cursor.execute(statement)
    cursor.execute(
        """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY c.relname
        """
    )
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]

    migrations: dict = {"applied": 0, "sha256": "", "last": {}}
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        rows = cursor.fetchall()
        digest = hashlib.sha256("".join(f"{app}.{name}\n" for app, name in sorted(rows)).encode())
        migrations = {
            "applied": len(rows),
            "sha256": digest.hexdigest(),
            "last": dict(sorted(dict(rows).items())),
        }

    checks = {}
    for group, group_tables in checked_tables().items():
        checks[group] = {}
        for table, pk in group_tables:
            if table not in counts:
                checks[group][table] = {"rows": None, "sha256": ""}
                continue
            digest = hashlib.sha256()
            query = sql.SQL("COPY (SELECT * FROM {} ORDER BY {}) TO STDOUT").format(
                sql.Identifier(table), sql.Identifier(pk)
            )
            with cursor.copy(query) as copy:
                for data in copy:
                    digest.update(data)
            checks[group][table] = {"rows": counts[table], "sha256": digest.hexdigest()}
    return {"migrations": migrations, "tables": counts, "checks": checks}


def server_version(cursor: psycopg.Cursor) -> str:
    cursor.execute("SHOW server_version")
    return cursor.fetchone()[0]


# --------------------------------------------------------------------------------------
# Media
# --------------------------------------------------------------------------------------
def media_files(root: Path) -> list[Path]:
    """Every regular file under ``root`` (relative, sorted); links and special files are left out."""
    if not root.is_dir():
        return []
    found = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root))
    return sorted(found, key=lambda p: p.as_posix())


def media_listing(root: Path, files: Iterable[Path]) -> str:
    return "".join(f"{file_sha256(root / name)}  {name.as_posix()}\n" for name in files)


def parse_listing(text: str) -> dict[str, str]:
    listing = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        listing[name] = digest
    return listing


# --------------------------------------------------------------------------------------
# Backup
# --------------------------------------------------------------------------------------
@dataclass
class BackupResult:
    path: Path
    manifest: dict


def set_name(now: datetime) -> str:
    return f"{SET_PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}"


def backup(
    *,
    database: Database,
    media_root: Path,
    backup_dir: Path,
    now: datetime | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> BackupResult:
    """Write one complete set into ``backup_dir``; nothing but a ``.partial`` folder (removed)
    exists until it is complete."""
    pg_dump = tool("pg_dump")
    now = now or datetime.now(UTC)
    backup_dir.mkdir(parents=True, exist_ok=True)
    final = backup_dir / set_name(now)
    if final.exists():
        raise BackupError(f"{final} exists already: one set per second at most")
    partial = backup_dir / (final.name + PARTIAL_SUFFIX)
    partial.mkdir()
    try:
        manifest = _write_set(
            database=database, media_root=media_root, folder=partial, pg_dump=pg_dump, now=now, say=say
        )
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupResult(final, manifest)


def _write_set(*, database, media_root, folder, pg_dump, now, say) -> dict:
    with database.connect(autocommit=False) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            version = server_version(cursor)
            say(f"Dumping database {database.name!r} (PostgreSQL {version}) in snapshot {snapshot}")
            dumped = subprocess.run(  # noqa: S603 - pg_dump, arguments built here, no shell
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={folder / DUMP}"],
                env=database.environment(),
                capture_output=True,
                text=True,
                check=False,
            )
            if dumped.returncode:
                raise BackupError(f"pg_dump failed ({dumped.returncode}): {dumped.stderr.strip()}")
            say("Counting rows and checksumming the checked tables in the same snapshot")
            state = database_state(cursor)
        conn.rollback()

    files = media_files(media_root)
    say(f"Archiving {len(files)} media files from {media_root}")
    listing = media_listing(media_root, files)
    (folder / MEDIA_LIST).write_text(listing, encoding="utf-8")
    with tarfile.open(folder / MEDIA_TAR, "w:gz") as archive:
        for name in files:
            archive.add(media_root / name, arcname=name.as_posix(), recursive=False)

    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "database": {**database.describe(), "server_version": version},
        "pg_dump": tool_version(pg_dump),
        "files": {name: file_entry(folder / name) for name in (DUMP, MEDIA_TAR, MEDIA_LIST)},
        "media": {
            "root": str(media_root),
            "files": len(files),
            "bytes": sum((media_root / name).stat().st_size for name in files),
        },
        **state,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def prune(backup_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` complete sets (and any left-over ``.partial``
    folder); the removed paths."""
    sets = sorted(
        path
        for path in backup_dir.glob(f"{SET_PREFIX}*")
        if path.is_dir() and not path.name.endswith(PARTIAL_SUFFIX) and (path / MANIFEST).is_file()
    )
    removed = sets[: max(0, len(sets) - keep)]
    for path in removed:
        shutil.rmtree(path)
    return removed


# --------------------------------------------------------------------------------------
# Restore and verification
# --------------------------------------------------------------------------------------
def load_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a backup set: it has no {MANIFEST}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has format {manifest.get('format')!r}; this version reads {FORMAT}")
    return manifest


def verify_files(folder: Path, manifest: dict) -> list[str]:
    """The set's files against the manifest: one problem per line (none: intact)."""
    problems = []
    for name, expected in sorted(manifest["files"].items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        actual = file_entry(path)
        if actual["bytes"] != expected["bytes"]:
            problems.append(f"{name}: {actual['bytes']} bytes, the manifest says {expected['bytes']}")
        elif actual["sha256"] != expected["sha256"]:
            problems.append(f"{name}: SHA-256 {actual['sha256']}, the manifest says {expected['sha256']}")
    return problems


def database_exists(database: Database) -> bool:
    with database.with_name("postgres").connect(autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database.name]).fetchone()
    return row is not None


def database_create(database: Database) -> None:
    with database.with_name("postgres").connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database.name)))


def database_drop(database: Database) -> None:
    """Drop it, ending its sessions (``--force``: the role must own it)."""
    with database.with_name("postgres").connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database.name)))


def database_tables(database: Database) -> int:
    """How many tables, views and sequences its current schema holds (0: empty)."""
    with database.connect(autocommit=True) as conn:
        row = conn.execute(
            """
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            """
        ).fetchone()
    return row[0]


def restore_database(database: Database, dump: Path, *, privileges: bool) -> None:
    command = [tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={database.name}"]
    if not privileges:
        command.append("--no-privileges")
    restored = subprocess.run(  # noqa: S603 - pg_restore, arguments built here, no shell
        [*command, str(dump)], env=database.environment(), capture_output=True, text=True, check=False
    )
    if restored.returncode:
        raise BackupError(f"pg_restore failed ({restored.returncode}): {restored.stderr.strip()}")


def restore_media(folder: Path, media_root: Path) -> int:
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(folder / MEDIA_TAR, "r:gz") as archive:
        members = archive.getmembers()
        # "data": no absolute paths, no "..", no links out of the folder, no device files.
        archive.extractall(media_root, members=members, filter="data")
    return len(members)


def verify_database(database: Database, manifest: dict) -> list[str]:
    """The restored database against the manifest, computed the same way."""
    with database.connect(autocommit=False) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            state = database_state(cursor)
        conn.rollback()
    problems = []
    expected_migrations, actual_migrations = manifest["migrations"], state["migrations"]
    if expected_migrations["sha256"] != actual_migrations["sha256"]:
        problems.append(
            f"migrations: {actual_migrations['applied']} applied, the backup had "
            f"{expected_migrations['applied']} (a different list)"
        )
    expected_tables, actual_tables = manifest["tables"], state["tables"]
    for table in sorted(set(expected_tables) | set(actual_tables)):
        if table not in actual_tables:
            problems.append(f"table {table}: missing")
        elif table not in expected_tables:
            problems.append(f"table {table}: not in the backup")
        elif expected_tables[table] != actual_tables[table]:
            problems.append(
                f"table {table}: {actual_tables[table]} rows, the backup had {expected_tables[table]}"
            )
    for group, tables in sorted(manifest["checks"].items()):
        actual_group = state["checks"].get(group, {})
        for table, expected in sorted(tables.items()):
            actual = actual_group.get(table)
            if actual is None:
                problems.append(f"{group}: {table} not checked on this side")
            elif actual["sha256"] != expected["sha256"]:
                problems.append(
                    f"{group}: {table} content differs ({actual['rows']} rows, checksum "
                    f"{actual['sha256'][:12]}…; the backup had {expected['rows']}, {expected['sha256'][:12]}…)"
                )
    return problems


def verify_media(folder: Path, media_root: Path) -> tuple[list[str], int]:
    """Every file of the set's listing, under ``media_root``, with its checksum; and how many
    files ``media_root`` holds that the backup did not (left alone, reported)."""
    listing = parse_listing((folder / MEDIA_LIST).read_text(encoding="utf-8"))
    problems = []
    for name, digest in sorted(listing.items()):
        path = media_root / name
        if not path.is_file():
            problems.append(f"media {name}: missing")
        elif file_sha256(path) != digest:
            problems.append(f"media {name}: content differs")
    extra = sum(1 for name in media_files(media_root) if name.as_posix() not in listing)
    return problems, extra
