"""``manage.py settle`` fails loudly: without a worker on the settlement queue it exits non-zero
in seconds, naming the queue, the command that starts a worker and ``--inline``; with one it
settles, showing its progress."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date, timedelta
from io import StringIO

import pytest
from celery import current_app
from django.core.management import CommandError, call_command

from revenue.management.commands import settle as settle_command
from revenue.models import SettlementRun, Statement
from tests.revenue.factories import agreement_in_force, item, record
from tests.worker import ROOT, process_env, running_worker

DAYS = 3
FIRST = date(2026, 1, 1)
THROUGH = FIRST + timedelta(days=DAYS - 1)


@pytest.fixture
def daily(maker, checker, partner, scenario, joined):
    """A daily agreement and ``DAYS`` days of transactions (day d: d+1 sales of 10.00)."""
    agreement = agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, cycle="daily", effective_from=FIRST
    )
    record(
        partner,
        *[
            item(amount="10.00", day=FIRST + timedelta(days=d), external_id=f"d{d}-{n}")
            for d in range(DAYS)
            for n in range(d + 1)
        ],
    )
    return agreement


@pytest.fixture
def on_workers(monkeypatch, settings):
    """Tasks go to workers (not run eagerly); the workers' answers are patched (the network)."""
    answers: dict[str, list[str]] = {}
    monkeypatch.setattr(settle_command, "tasks_run_in_process", lambda: False)
    monkeypatch.setattr(
        settle_command, "queue_workers", lambda queues, *, timeout: {q: answers.get(q, []) for q in queues}
    )
    settings.SETTLE_WORKER_CHECK_SECONDS = 0.2
    return answers


def settle_refused() -> str:
    """The message ``settle --through THROUGH`` (on the workers) fails with."""
    with pytest.raises(CommandError) as refused:
        call_command("settle", "--through", THROUGH.isoformat(), stdout=StringIO())
    return str(refused.value)


@pytest.mark.django_db
def test_without_a_worker_it_fails_naming_the_queue_the_worker_command_and_inline(daily, on_workers):
    message = settle_refused()

    assert "No Celery worker consumes the 'settlement' queue" in message
    assert "celery -A portal worker -Q default,settlement" in message
    assert f"python manage.py settle --through {THROUGH} --inline" in message
    assert not SettlementRun.objects.exists()  # nothing started, nothing queued
    assert not Statement.objects.exists()


@pytest.mark.django_db
def test_a_broker_that_lives_in_one_process_has_no_worker_to_wait_for(daily, on_workers, monkeypatch):
    on_workers["settlement"] = ["w1@host"]  # never asked
    monkeypatch.setattr(current_app.conf, "broker_url", "memory://")

    message = settle_refused()

    assert "No Celery worker can consume the 'settlement' queue: the memory:// broker" in message
    assert "Point CELERY_BROKER_URL at a shared broker" in message
    assert f"python manage.py settle --through {THROUGH} --inline" in message
    assert not SettlementRun.objects.exists()


@pytest.mark.django_db
def test_it_fails_when_the_worker_goes_away_while_the_run_waits(daily, on_workers, monkeypatch):
    """The worker answered, the run was sent, then nothing moves and nobody answers any more."""
    answers = iter([["w1@host"]])
    monkeypatch.setattr(
        settle_command,
        "queue_workers",
        lambda queues, *, timeout: {q: next(answers, []) for q in queues},
    )
    monkeypatch.setattr(settle_command, "RECHECK_IDLE_SECONDS", 0)
    monkeypatch.setattr(settle_command, "POLL_SECONDS", 0.01)
    # The periods were sent to the broker and nobody takes them: the run stays as it started.
    monkeypatch.setattr(
        settle_command,
        "settlement_start",
        lambda **kwargs: SettlementRun.objects.create(
            through=THROUGH, trigger="command", periods_planned=DAYS
        ),
    )
    out = StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("settle", "--through", THROUGH.isoformat(), stdout=out)

    run = SettlementRun.objects.get()
    assert str(refused.value).startswith(f"settlement run {run.pk} is still running and no longer moves")
    assert "No Celery worker consumes the 'settlement' queue" in str(refused.value)
    assert out.getvalue().splitlines()[0] == f"settlement run {run.pk}: 0/{DAYS} (0%)"


@pytest.mark.django_db
def test_inline_needs_no_worker(daily, on_workers):
    out = StringIO()

    call_command("settle", "--through", THROUGH.isoformat(), "--inline", stdout=out)

    assert f"through {THROUGH}: succeeded, {DAYS}/{DAYS} periods" in out.getvalue()


def settle_process(*, check_seconds: float, queue: str) -> subprocess.CompletedProcess:
    """``manage.py settle`` as an operator runs it: its own process, the real broker, stdout
    a pipe (not a terminal)."""
    env = process_env(SETTLE_WORKER_CHECK_SECONDS=str(check_seconds), REVENUE_SETTLEMENT_QUEUE=queue)
    return subprocess.run(
        [sys.executable, "manage.py", "settle", "--through", THROUGH.isoformat(), "--timeout", "300"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang, not a measurement
        check=False,
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_no_worker_on_the_real_broker_it_exits_non_zero_in_seconds(daily):
    queue = f"settlement-{uuid.uuid4().hex[:8]}"

    done = settle_process(check_seconds=2, queue=queue)

    assert done.returncode != 0
    assert f"No Celery worker consumes the '{queue}' queue (no worker answered within 2 s)" in done.stderr
    assert f"celery -A portal worker -Q default,{queue}" in done.stderr
    assert "--inline" in done.stderr
    assert not SettlementRun.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_it_settles_and_logs_its_progress(daily, monkeypatch):
    queue = f"settlement-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("REVENUE_SETTLEMENT_QUEUE", queue)

    with running_worker(queues=[queue]):
        # The worker may still be starting: the check waits for its answer.
        done = settle_process(check_seconds=120, queue=queue)

    assert done.returncode == 0, done.stderr
    run = SettlementRun.objects.get()
    lines = done.stdout.splitlines()
    assert lines[-1] == (
        f"settlement run {run.pk} through {THROUGH}: succeeded, {DAYS}/{DAYS} periods, "
        f"{DAYS} statements, 6 transactions"
    )
    progress = [line for line in lines if line.startswith(f"settlement run {run.pk}: ")]
    assert progress[-1] == f"settlement run {run.pk}: {DAYS}/{DAYS} (100%), 6 transactions settled"
    assert "\x1b" not in done.stdout  # a pipe gets plain lines, no bar
    assert Statement.objects.count() == DAYS
