"""``GET /readyz``: the liveness checks plus workers per queue, beat, settlement and migrations;
``GET /healthz`` stays cheap."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.workers import queue_workers
from portal import health
from revenue.models import SettlementRun
from tests.worker import client_app, running_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def workers(monkeypatch):
    """The workers' answers, as the broadcast would give them (the network is patched)."""
    answers = {"default": ["w1@host"], "settlement": ["w1@host", "w2@host"]}
    asked = []

    def answer(queues, *, timeout, app=None):
        asked.append(queues)
        return {queue: answers.get(queue, []) for queue in queues}

    monkeypatch.setattr(health, "queue_workers", answer)
    return {"answers": answers, "asked": asked}


def beat_ran(minutes_ago: float) -> PeriodicTask:
    every, _ = IntervalSchedule.objects.get_or_create(every=60, period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(
        name=f"flush-{uuid.uuid4().hex[:6]}",
        task="partners.tasks.api_usage_flush",
        interval=every,
        last_run_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def beat(db):
    return beat_ran(1)


@pytest.fixture(autouse=True)
def _migrations_checked_afresh():
    health.MigrationsApplied.applied = False
    yield
    health.MigrationsApplied.applied = False


def test_it_reports_every_check_when_ready(client, workers, beat):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "cache", "broker", "workers", "beat", "settlement", "migrations"}
    assert all(check["status"] == "ok" for check in checks.values())
    assert checks["workers"]["queues"] == {"default": 1, "settlement": 2}
    assert 50 <= checks["beat"]["age_seconds"] <= 70
    assert checks["settlement"] == {
        "status": "ok",
        "running_runs": 0,
        "oldest_started_seconds_ago": None,
        "idle_seconds": None,
        "ms": checks["settlement"]["ms"],
    }
    assert checks["migrations"]["pending"] == 0
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_names_no_worker_host_nor_any_url(client, workers, beat):
    text = client.get("/readyz").content.decode()

    assert "w1@host" not in text
    assert "://" not in text


def test_it_answers_503_naming_the_queue_no_worker_consumes(client, workers, beat):
    workers["answers"]["settlement"] = []

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    check = response.json()["checks"]["workers"]
    assert check["status"] == "fail"
    assert check["missing"] == ["settlement"]
    assert check["queues"] == {"default": 1, "settlement": 0}


def test_an_unreachable_broker_fails_the_worker_check_by_its_class_only(client, beat, monkeypatch, settings):
    def unreachable(queues, *, timeout, app=None):
        raise ConnectionRefusedError("redis://secret@10.0.0.5:6379")

    monkeypatch.setattr(health, "queue_workers", unreachable)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["workers"] == {
        "status": "fail",
        "error": "ConnectionRefusedError",
        "ms": response.json()["checks"]["workers"]["ms"],
    }
    assert "secret" not in response.content.decode()


def test_it_is_not_ready_when_beat_never_ran(client, workers):
    response = client.get("/readyz")

    assert response.status_code == 503
    beat = response.json()["checks"]["beat"]
    assert (beat["status"], beat["last_run_at"], beat["age_seconds"]) == ("fail", None, None)


def test_it_is_not_ready_when_beat_sent_nothing_for_longer_than_the_limit(client, workers, settings):
    settings.READYZ_BEAT_STALE_MINUTES = 10
    beat_ran(11)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["status"] == "fail"
    assert response.json()["checks"]["beat"]["age_seconds"] >= 11 * 60


def test_it_is_not_ready_when_a_settlement_run_has_finished_nothing_for_too_long(
    client, workers, beat, settings
):
    settings.READYZ_SETTLEMENT_IDLE_MINUTES = 10
    run = SettlementRun.objects.create(through=date(2026, 1, 31), trigger="command", periods_planned=3)
    SettlementRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timedelta(minutes=30), progress_at=timezone.now() - timedelta(minutes=12)
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    settlement = response.json()["checks"]["settlement"]
    assert settlement["status"] == "fail"
    assert settlement["running_runs"] == 1
    assert settlement["oldest_started_seconds_ago"] >= 30 * 60
    assert 12 * 60 <= settlement["idle_seconds"] < 30 * 60


def test_a_settlement_run_that_moves_is_ready(client, workers, beat):
    run = SettlementRun.objects.create(through=date(2026, 1, 31), trigger="command", periods_planned=3)
    SettlementRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - timedelta(minutes=30), progress_at=timezone.now() - timedelta(seconds=20)
    )

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["settlement"]["running_runs"] == 1


def test_it_detects_a_pending_migration(client, workers, beat):
    MigrationRecorder(connection).record_unapplied("console", "0002_heartbeat")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "status": "fail",
        "pending": 1,
        "ms": response.json()["checks"]["migrations"]["ms"],
    }


def test_it_plans_migrations_only_until_all_are_applied(workers, beat, monkeypatch):
    assert health.pending_migrations() == 0

    def never(*args, **kwargs):
        raise AssertionError("planned again")

    monkeypatch.setattr(health, "MigrationExecutor", never)
    assert health.pending_migrations() == 0


def test_it_keeps_its_answer_for_a_few_seconds_so_polling_does_not_flood_the_broker(client, workers, beat):
    first = client.get("/readyz")
    workers["answers"]["settlement"] = []
    second = client.get("/readyz")

    assert len(workers["asked"]) == 1
    assert first.json() == second.json()
    assert second.status_code == 200


def test_healthz_asks_no_worker_and_makes_one_query(client, monkeypatch, django_assert_num_queries):
    def forbidden(*args, **kwargs):
        raise AssertionError("healthz asked the workers")

    monkeypatch.setattr(health, "queue_workers", forbidden)

    with django_assert_num_queries(1):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "cache", "broker"}


def test_readyz_refuses_other_methods(client):
    assert client.post("/readyz").status_code == 405


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_is_ready_with_a_real_worker_on_each_queue_and_not_without(client, settings, monkeypatch):
    queues = [f"default-{uuid.uuid4().hex[:6]}", f"settlement-{uuid.uuid4().hex[:6]}"]
    settings.READYZ_QUEUES = tuple(queues)
    settings.READYZ_CACHE_SECONDS = 0  # every request asks again
    beat_ran(1)
    # Ask the real broker the worker listens on (the test settings run tasks eagerly).
    app = client_app()
    monkeypatch.setattr(
        health, "queue_workers", lambda names, *, timeout: queue_workers(names, timeout=timeout, app=app)
    )

    with running_worker(queues=queues):
        for _attempt in range(45):  # until the worker has started and answers
            response = client.get("/readyz")
            if response.status_code == 200:
                break
        assert response.status_code == 200, response.json()
        assert response.json()["checks"]["workers"]["queues"] == {queues[0]: 1, queues[1]: 1}

    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["workers"]["missing"] == queues
