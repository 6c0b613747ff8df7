"""The watchdog: a settlement run that made no progress for SETTLEMENT_STALL_MINUTES is
resumed (its unsettled periods dispatched again, safely: a statement is generated once), and an
import whose worker sent no heartbeat for IMPORT_STALL_MINUTES ends failed with the reason.
The kill test with real workers is in tests/reliability/test_settlement_recovery.py."""

import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from revenue import services
from revenue.models import SettlementRun, Statement, TransactionImport
from revenue.periods import Period
from revenue.services.recovery import settlement_watchdog
from tests.factories import StaffFactory

from .factories import item, record

pytestmark = pytest.mark.django_db

THROUGH = date(2026, 3, 31)


def stalled_run(*, minutes: float, **fields) -> SettlementRun:
    run = SettlementRun.objects.create(through=THROUGH, trigger="schedule", periods_planned=3, **fields)
    SettlementRun.objects.filter(pk=run.pk).update(progress_at=timezone.now() - timedelta(minutes=minutes))
    return run


def test_a_stalled_run_is_resumed_and_finishes_with_the_statements_of_a_clean_run(agreement, partner):
    record(partner, item(amount="100.00", day=date(2026, 1, 10)), item(amount="10.00", day=date(2026, 3, 3)))
    # The worker died after January: its statement is there, February and March never came.
    run = stalled_run(minutes=settings.SETTLEMENT_STALL_MINUTES + 1)
    services.statement_generate(
        agreement_id=agreement.pk, period=Period(date(2026, 1, 1), date(2026, 1, 31)), run_id=run.pk
    )
    SettlementRun.objects.filter(pk=run.pk).update(progress_at=timezone.now() - timedelta(hours=1))

    result = settlement_watchdog()

    assert (result.runs_resumed, result.periods_dispatched) == (1, 2)
    run.refresh_from_db()
    assert (run.status, run.periods_planned, run.periods_done, run.statements_created) == (
        "succeeded",
        3,
        3,
        3,
    )
    assert list(Statement.objects.order_by("period_start").values_list("period_start", "share_amount")) == [
        (date(2026, 1, 1), Decimal("30.00")),
        (date(2026, 2, 1), Decimal("0.00")),
        (date(2026, 3, 1), Decimal("3.00")),
    ]


def test_a_run_that_is_moving_is_left_alone(agreement):
    run = stalled_run(minutes=settings.SETTLEMENT_STALL_MINUTES - 1)

    result = settlement_watchdog()

    assert (result.runs_resumed, result.periods_dispatched) == (0, 0)
    assert SettlementRun.objects.get(pk=run.pk).status == "running"
    assert not Statement.objects.exists()


def test_a_stalled_run_with_nothing_left_to_settle_ends(agreement):
    run = stalled_run(minutes=60)
    services.settlement_start(through=THROUGH, trigger="command", dispatch=False)

    settlement_watchdog()

    run.refresh_from_db()
    assert (run.status, run.periods_planned, run.periods_done) == ("succeeded", 0, 0)
    assert run.finished_at is not None


def test_resuming_twice_never_generates_a_statement_twice(agreement):
    run = stalled_run(minutes=60)

    services.settlement_run_resume(run_id=run.pk)
    SettlementRun.objects.filter(pk=run.pk).update(status="running")
    services.settlement_run_resume(run_id=run.pk)

    assert Statement.objects.count() == 3
    assert SettlementRun.objects.get(pk=run.pk).periods_done == 3


@pytest.fixture
def uploader(db):
    return StaffFactory(email="importer@bank.example")


def import_job(partner, uploader, *, status: str, heartbeat_minutes_ago: float | None) -> TransactionImport:
    job = TransactionImport.objects.create(
        partner=partner, file=ContentFile(b"x", name="t.csv"), created_by=uploader, status=status
    )
    if heartbeat_minutes_ago is not None:
        TransactionImport.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - timedelta(minutes=heartbeat_minutes_ago)
        )
    return job


def test_an_import_whose_worker_died_ends_failed_with_the_reason(partner, uploader, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    dead = import_job(
        partner, uploader, status="running", heartbeat_minutes_ago=settings.IMPORT_STALL_MINUTES + 1
    )
    alive = import_job(partner, uploader, status="running", heartbeat_minutes_ago=1)
    queued = import_job(partner, uploader, status="queued", heartbeat_minutes_ago=None)

    result = settlement_watchdog()

    assert result.imports_failed == 1
    dead.refresh_from_db()
    assert dead.status == "failed"
    assert dead.finished_at is not None
    assert "worker sent no sign of life" in dead.errors[0]["message"]
    assert TransactionImport.objects.get(pk=alive.pk).status == "running"
    assert TransactionImport.objects.get(pk=queued.pk).status == "queued"


def test_the_watchdog_runs_on_beat_every_few_minutes_on_the_default_queue():
    entry = settings.CELERY_BEAT_SCHEDULE["revenue-settlement-watchdog"]

    assert entry["task"] == "revenue.tasks.settlement_watchdog"
    assert settings.CELERY_TASK_ROUTES["revenue.tasks.settlement_watchdog"] == {"queue": "default"}


def test_a_redis_broker_gives_tasks_back_after_the_task_time_limit_not_after_an_hour():
    code = (
        "from portal import settings as s; "
        "print(s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], s.CELERY_TASK_TIME_LIMIT)"
    )
    env = {**os.environ, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0", "CELERY_TASK_TIME_LIMIT": "600"}
    env.pop("DJANGO_ENV", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout

    timeout, limit = (int(v) for v in out.split())
    assert (limit, timeout) == (600, 900)
