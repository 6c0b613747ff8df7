import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7%k2!pQz9@Lm4#vR8^tW1&yB6*nC3(eF5)gH0_jK-uM+sD=aZ" * 2,
    "DATABASE_URL": "postgres://root@127.0.0.1:5432/portal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "ALLOWED_HOSTS": "portal.example.com",
    "SITE_URL": "https://portal.example.com",
}


def _run(env_overrides: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    # The browser tests allow sync ORM calls beside Playwright's loop; a deployment never does.
    dropped = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k not in dropped}
    for key, value in env_overrides.items():
        if value is not None:
            env[key] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS", "SITE_URL"]
)
def test_production_refuses_to_start_without_required_variable(missing):
    result = _run({**PRODUCTION_ENV, missing: None}, "check")

    assert result.returncode != 0
    assert "DJANGO_ENV=production needs these environment variables" in result.stderr
    assert missing in result.stderr.splitlines()[-1]


def test_production_refuses_a_database_that_is_not_postgresql():
    result = _run({**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///tmp/x.sqlite3"}, "check")

    assert result.returncode != 0
    assert "DATABASE_URL must point to PostgreSQL" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = _run(PRODUCTION_ENV, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_local_default_needs_no_environment():
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.AUTH_USER_MODEL == "portal.User"
    assert [code for code, _ in settings.LANGUAGES] == ["en", "zh-hans"]


def _python(env_overrides: dict[str, str], code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_SETTINGS_MODULE"}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# Records every folder creation instead of making it, then imports the settings modules.
IMPORT_RECORDING_FOLDERS = """
import os, pathlib
made = []
pathlib.Path.mkdir = lambda self, *a, **k: made.append(str(self))
os.mkdir = lambda path, *a, **k: made.append(str(path))
os.makedirs = lambda path, *a, **k: made.append(str(path))
import portal.settings, portal.settings.local, portal.settings.test
print(made)
"""


def test_importing_the_settings_creates_no_folder():
    result = _python({}, IMPORT_RECORDING_FOLDERS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_importing_the_production_settings_creates_no_folder():
    code = IMPORT_RECORDING_FOLDERS.replace(", portal.settings.local, portal.settings.test", "")
    result = _python(PRODUCTION_ENV, code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_django_env_picks_the_settings_module():
    code = "import portal.settings as s; print(s.DJANGO_ENV, s.PRODUCTION, s.DEBUG, s.SECURE_SSL_REDIRECT)"
    local = _python({"DJANGO_ENV": "local"}, code.replace(", s.SECURE_SSL_REDIRECT", ""))
    production = _python(PRODUCTION_ENV, code)

    assert local.stdout.split() == ["local", "False", "True"], local.stderr
    assert production.stdout.split() == ["production", "True", "False", "True"], production.stderr


def test_start_up_creates_the_folder_of_a_sqlite_database(tmp_path):
    database = tmp_path / "fresh" / "db.sqlite3"
    result = _run(
        {"DATABASE_URL": f"sqlite:///{database}", "TEST_SQLITE_NAME": str(tmp_path / "t" / "t.sqlite3")},
        "check",
    )

    assert result.returncode == 0, result.stderr
    assert database.parent.is_dir()
    assert (tmp_path / "t").is_dir()


def test_start_up_creates_the_file_system_broker_folders_and_the_static_root(settings, tmp_path):
    from portal.apps import local_folders_create

    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "broker" / "out"),
        "data_folder_out": str(tmp_path / "broker" / "out"),
        "processed_folder": str(tmp_path / "broker" / "processed"),
        "control_folder": str(tmp_path / "broker" / "control"),
    }
    settings.STATIC_ROOT = tmp_path / "static"
    local_folders_create()

    assert sorted(p.name for p in (tmp_path / "broker").iterdir()) == ["control", "out", "processed"]
    assert (tmp_path / "static").is_dir()


def test_production_start_up_creates_no_static_root(settings, tmp_path):
    from portal.apps import local_folders

    settings.PRODUCTION = True
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
    settings.STATIC_ROOT = tmp_path / "static"

    assert tmp_path / "static" not in local_folders()


def test_each_test_worker_has_its_own_var_files():
    code = (
        "import portal.settings.test as s; "
        "print(s.API_AUTH_EPOCH_FILE, s.MEDIA_ROOT, s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'])"
    )
    gw0 = _python({"PYTEST_XDIST_WORKER": "gw0"}, code).stdout.split()
    gw1 = _python({"PYTEST_XDIST_WORKER": "gw1"}, code).stdout.split()

    assert len(gw0) == 3
    assert all(Path(path).is_relative_to(ROOT / "var" / "tests" / "gw0") for path in gw0)
    assert all(Path(path).is_relative_to(ROOT / "var" / "tests" / "gw1") for path in gw1)
