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
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS"]
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
