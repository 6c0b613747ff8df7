"""Rebuild the funnel's roll-ups (offers, taken, gross, reward cost) for a range of days."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from partners.selectors import business_today
from revenue.services.funnel import funnel_rebuild


class Command(BaseCommand):
    help = "Rebuild the offer funnel's daily roll-ups from the offer log and the ledger."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=date.fromisoformat, help="first business date")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, help="last business date (today)")
        parser.add_argument("--days", type=int, default=31, help="days back from --to (default 31)")

    def handle(self, *args, start=None, end=None, days=31, **options):
        end = end or business_today()
        start = start or end - timedelta(days=max(days, 1) - 1)
        if start > end:
            raise CommandError("--from must be on or before --to")
        result = funnel_rebuild(start=start, end=end)
        self.stdout.write(f"funnel rebuilt for {start}..{end}: {result.days} days, {result.offers} offers")
