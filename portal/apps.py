from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.counters import counters_start

# kombu's file-system transport reads and writes these folders but does not create them.
BROKER_FOLDER_OPTIONS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def local_folders() -> list[Path]:
    """The folders the configured embedded services write to: each SQLite database's folder
    (and its test database's), the file-system broker's folders and, outside production, the
    static root WhiteNoise expects. Empty in production (PostgreSQL, a real broker)."""
    folders: list[Path] = []
    for database in settings.DATABASES.values():
        if database["ENGINE"] != "django.db.backends.sqlite3":
            continue
        for name in (database.get("NAME"), (database.get("TEST") or {}).get("NAME")):
            if name and not str(name).startswith((":memory:", "file:")):
                folders.append(Path(name).parent)
    if str(settings.CELERY_BROKER_URL).startswith("filesystem://"):
        options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
        folders.extend(Path(options[key]) for key in BROKER_FOLDER_OPTIONS if options.get(key))
    if not getattr(settings, "PRODUCTION", False):
        folders.append(Path(settings.STATIC_ROOT))
    return folders


def local_folders_create() -> None:
    """Create ``local_folders()`` (importing settings creates nothing)."""
    for folder in local_folders():
        folder.mkdir(parents=True, exist_ok=True)


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        # Every process (web, worker, beat, manage.py, tests) sets Django up before it opens
        # the database or the broker.
        local_folders_create()
        # The counters' backend and the verification cache's layer are chosen once, here:
        # Redis when the default cache is Redis, else this process's memory. (keycache reads
        # models, which can be imported only once the app registry is ready, hence here.)
        from partners.keycache import keycache_start  # noqa: PLC0415 (models load after the app registry)

        counters_start()
        keycache_start()
