"""``python manage.py settle --through YYYY-MM-DD``: settle every period that ended on or before
that date, exactly as the scheduled job does (the same service, the same Celery fan-out on the
settlement queue). Waits for the run and ends with a one-line summary."""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from revenue.exceptions import SettlementInvalid
from revenue.models import SettlementRun
from revenue.services import settlement_start


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
        try:
            run = settlement_start(through=day, trigger=SettlementRun.Trigger.COMMAND, dispatch=not inline)
        except SettlementInvalid as refused:
            raise CommandError(str(refused)) from None
        deadline = time.monotonic() + timeout
        while not no_wait and run.status == SettlementRun.Status.RUNNING:
            if time.monotonic() > deadline:
                raise CommandError(f"settlement run {run.pk} still running after {timeout}s")
            time.sleep(0.5)
            run.refresh_from_db()
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
