"""Rebuild the funnel's roll-ups (offers, taken, gross, reward cost) for a range of days."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.progress import command_progress
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
        # Day by day, to show progress, in one transaction as one call over the range would be:
        # each day's rebuild is independent of the others' (its own rows, its own window).
        total = (end - start).days + 1
        rebuilt, offers = 0, 0
        with transaction.atomic(), command_progress(self.stdout, total, "funnel days") as progress:
            for offset in range(total):
                result = funnel_rebuild(
                    start=start + timedelta(days=offset), end=start + timedelta(days=offset)
                )
                rebuilt, offers = rebuilt + result.days, offers + result.offers
                progress.advance(note=f"{offers} offers")
        self.stdout.write(f"funnel rebuilt for {start}..{end}: {rebuilt} days, {offers} offers")
