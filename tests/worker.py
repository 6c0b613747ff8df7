"""Start a real Celery worker process for integration tests.

The worker runs with the production settings module (not the eager test settings), on the
broker named by ``TEST_BROKER_URL`` and against the test database of the calling test, so a
task it runs sees what the test committed. CI always sets ``TEST_BROKER_URL``; elsewhere the
tests that need it are skipped.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def broker_url() -> str:
    url = os.environ.get("TEST_BROKER_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must set TEST_BROKER_URL for the worker integration tests")
        pytest.skip("TEST_BROKER_URL is not set: no real broker to run a worker on")
    return url


def result_backend_url() -> str:
    return os.environ.get("TEST_RESULT_BACKEND", "redis://127.0.0.1:6379/15")


def test_database_url() -> str:
    """A DATABASE_URL for the database the running test uses."""
    settings = connection.settings_dict
    if settings["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "root"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a child process (a worker, a management command) that runs with the
    production settings module on the real broker against this test's database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "CELERY_BROKER_URL": broker_url(),
        "CELERY_RESULT_BACKEND": result_backend_url(),
        "DATABASE_URL": test_database_url(),
        # The child shares this test worker's own files (key epoch, uploads), not var/'s.
        "API_AUTH_EPOCH_FILE": str(django_settings.API_AUTH_EPOCH_FILE),
        "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        **extra,
    }
    env.pop("DJANGO_ENV", None)
    return env


@contextlib.contextmanager
def running_worker(
    *, queues: list[str] | None = None, concurrency: int = 1, settlement_pause: float = 0
) -> Iterator[dict]:
    """Run ``celery worker`` in a child process; yields its info (queue names, process). With
    ``settlement_pause`` (seconds) the worker waits that long before each settlement period
    (``tests/worker_app.py``)."""
    broker = broker_url()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    queues = queues or [queue]
    env = process_env(TEST_SETTLEMENT_PAUSE_SECONDS=str(settlement_pause))
    cmd = [
        sys.executable, "-m", "celery", "-A", "tests.worker_app", "worker",
        "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=prefork",
        "-Q", ",".join(queues), "--without-heartbeat", "--without-gossip", "--without-mingle",
        "-n", f"{queue}@%h",
    ]  # fmt: skip
    log_path = ROOT / "var" / f"worker-{queue}.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield {"queues": queues, "process": proc, "broker": broker, "log": log_path}
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def client_app():
    """A Celery app that sends to the real broker (the test settings run tasks eagerly)."""
    from celery import Celery

    return Celery("test-client", broker=broker_url(), backend=result_backend_url())
