"""The embedded default: what runs with no environment at all (``make run``, development, demos).

DEBUG on, SQLite under ``var/``, the local-memory cache (Redis where ``REDIS_URL`` is set), a
file-system Celery transport under ``var/`` that needs no server (``base``) and e-mail printed
on the console. Any of them can still be pointed at a real service through the environment.
Nothing is created on import: ``portal.apps`` creates the folders under ``var/`` on start-up.
"""

from __future__ import annotations

from .base import *
from .base import VAR_DIR, env

# --------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------
DJANGO_ENV = env.str("DJANGO_ENV", default="local")
PRODUCTION = False
DEBUG = env.bool("DEBUG", default=True)

# --------------------------------------------------------------------------------------
# Database: SQLite under var/ unless DATABASE_URL says otherwise
# --------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file-based test database lets a real worker process reach the test data.
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("TEST_SQLITE_NAME", default=str(VAR_DIR / "test.sqlite3"))
    }
    # WAL with synchronous=NORMAL: readers never wait for the writer, and a commit does not
    # wait for the disk (a power cut may lose the last commits, never corrupt the file). The
    # embedded default is for development and demos; production runs on PostgreSQL.
    # Transactions begin IMMEDIATE: a writer holds the write lock from its first statement, so
    # it never fails to upgrade a stale read snapshot, and what it reads nobody else is writing
    # (the ledger's statement bounds rely on it; see ``revenue.services._common.ledger_lock``).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

# --------------------------------------------------------------------------------------
# E-mail: printed on the console
# --------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
