"""``python manage.py settle --through YYYY-MM-DD``: settle every period that ended on or before
that date, exactly as the scheduled job does (the same service, the same Celery fan-out on the
settlement queue). Waits for the run, showing its progress, and ends with a one-line summary.

Before it starts a run on the workers it asks them, for ``SETTLE_WORKER_CHECK_SECONDS``, whether
one consumes the settlement queue; when none does it says so, with the command that starts a
worker and the ``--inline`` option, and exits non-zero (nothing is started). While it waits it
checks again whenever the run has not moved for a minute, so a worker that dies is reported too."""

from __future__ import annotations

import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError

from core.progress import CommandProgress, command_progress
from core.workers import no_worker_reason, queue_workers, tasks_run_in_process
from revenue.exceptions import SettlementInvalid
from revenue.models import SettlementRun
from revenue.services import settlement_start

POLL_SECONDS = 0.5
# While a run waits without progress this long, ask again whether a worker is still there.
RECHECK_IDLE_SECONDS = 60


class Command(BaseCommand):
    help = "Settle every revenue-share period that ended on or before --through (YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--through", required=True, help="last day to settle through, YYYY-MM-DD")
        parser.add_argument(
            "--inline", action="store_true", help="settle in this process instead of on the Celery workers"
        )
        parser.add_argument("--no-wait", action="store_true", help="start the run and return at once")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for the run")

    def handle(self, *args, through: str, inline: bool, no_wait: bool, timeout: int, **options):
        try:
            day = date.fromisoformat(through)
        except ValueError:
            raise CommandError("--through must be a date, YYYY-MM-DD") from None
        on_workers = not inline and not tasks_run_in_process()
        if on_workers:
            self.require_worker(day, wait=settings.SETTLE_WORKER_CHECK_SECONDS)
        try:
            run = settlement_start(through=day, trigger=SettlementRun.Trigger.COMMAND, dispatch=not inline)
        except SettlementInvalid as refused:
            raise CommandError(str(refused)) from None
        if on_workers and not no_wait and run.status == SettlementRun.Status.RUNNING:
            with command_progress(self.stdout, run.periods_planned, f"settlement run {run.pk}") as progress:
                self.follow(run, day, progress, timeout=timeout)
        summary = (
            f"settlement run {run.pk} through {day}: {run.get_status_display().lower()}, "
            f"{run.periods_done}/{run.periods_planned} periods, {run.statements_created} statements, "
            f"{run.transactions_settled} transactions"
        )
        if run.status in (SettlementRun.Status.FAILED, SettlementRun.Status.PARTIAL):
            raise CommandError(
                f"{summary}, {run.periods_failed} periods failed; errors: " + "; ".join(run.error_messages)
            )
        self.stdout.write(summary)

    def follow(self, run: SettlementRun, day: date, progress: CommandProgress, *, timeout: int) -> None:
        """Wait for ``run`` to end (refreshed in place), showing periods and transactions."""
        deadline = time.monotonic() + timeout
        moved_at, last = time.monotonic(), None
        while run.status == SettlementRun.Status.RUNNING:
            state = (run.periods_done, run.periods_failed, run.periods_planned)
            if state != last:
                moved_at, last = time.monotonic(), state
                progress.update(
                    run.periods_done + run.periods_failed,
                    total=run.periods_planned,
                    note=f"{run.transactions_settled} transactions settled",
                )
            elif time.monotonic() - moved_at > RECHECK_IDLE_SECONDS:
                self.require_worker(day, wait=settings.SETTLE_WORKER_CHECK_SECONDS, run=run)
                moved_at = time.monotonic()
            if time.monotonic() > deadline:
                raise CommandError(f"settlement run {run.pk} still running after {timeout}s")
            time.sleep(POLL_SECONDS)
            run.refresh_from_db()
        progress.update(
            run.periods_done + run.periods_failed,
            total=run.periods_planned,
            note=f"{run.transactions_settled} transactions settled",
        )

    def require_worker(self, day: date, *, wait: float, run: SettlementRun | None = None) -> None:
        """Return once some worker answers that it consumes the settlement queue; after
        ``wait`` seconds without one, fail naming the queue, how to start a worker and
        ``--inline``."""
        queue = settings.REVENUE_SETTLEMENT_QUEUE
        inline = f"or settle in this process:  python manage.py settle --through {day} --inline"
        unreachable = no_worker_reason()
        if unreachable:
            raise CommandError(
                f"No Celery worker can consume the '{queue}' queue: {unreachable}.\n"
                "Point CELERY_BROKER_URL at a shared broker and start a worker, " + inline
            )
        deadline = time.monotonic() + wait
        while True:
            ask = max(0.1, min(settings.WORKER_INSPECT_TIMEOUT, deadline - time.monotonic()))
            try:
                if queue_workers([queue], timeout=ask)[queue]:
                    return
            except OperationalError as exc:
                raise CommandError(
                    f"cannot reach the Celery broker (CELERY_BROKER_URL): {type(exc).__name__}: {exc}.\n"
                    f"To settle without workers:  python manage.py settle --through {day} --inline"
                ) from None
            if time.monotonic() >= deadline:
                break
        started = (
            f"settlement run {run.pk} is still running and no longer moves: the watchdog resumes it "
            "once a worker is back.\n"
            if run is not None
            else ""
        )
        raise CommandError(
            f"{started}No Celery worker consumes the '{queue}' queue (no worker answered within {wait:g} s).\n"
            f"Start one:  celery -A portal worker -Q default,{queue}\n" + inline
        )
