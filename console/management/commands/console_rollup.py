"""Rebuild the staff console's roll-ups from the ledger (and optionally scan for risk)."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from console.services.risk import risk_scan
from console.services.rollups import transaction_rollup_refresh
from partners.selectors import business_today


class Command(BaseCommand):
    help = "Rebuild the console's transaction roll-ups for a range of business dates."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=date.fromisoformat, help="first business date")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, help="last business date (today)")
        parser.add_argument(
            "--days", type=int, default=settings.CONSOLE_ROLLUP_NIGHTLY_DAYS, help="days back from --to"
        )
        parser.add_argument("--scan", action="store_true", help="then run the risk rules over --to")

    def handle(self, *args, start=None, end=None, days=0, scan=False, **options):
        end = end or business_today()
        start = start or end - timedelta(days=max(days, 1) - 1)
        if start > end:
            raise CommandError("--from must be on or before --to")
        result = transaction_rollup_refresh(start=start, end=end)
        summary = f"roll-ups rebuilt for {start}..{end}: {result.rows} day rows, {result.months} months"
        if scan:
            found = risk_scan(day=end)
            summary += f"; risk scan {end}: {found.found} signals, {found.created} new"
        self.stdout.write(summary)
