"""``python manage.py reconcile_bank_statement FILE``: import a camt.053 or CSV bank statement,
mark the matched payouts and their statements paid, list the rest for a decision, and print a
summary. The same file again changes nothing (and says so). Exits non-zero on an unreadable
file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.money import money_text
from payouts.bankfiles import BankFileError
from payouts.selectors import import_summary
from payouts.services.reconcile import bank_statement_import


class Command(BaseCommand):
    help = "Import a bank statement (camt.053 XML or CSV) and reconcile payouts against it."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the camt.053 XML or CSV file.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            result = bank_statement_import(content=content, filename=path.name, actor=None)
        except BankFileError as exc:
            raise CommandError(f"{path.name}: {exc.message}") from exc
        summary = import_summary(result.statement_import)
        if result.already:
            self.stdout.write(
                f"Already imported on {result.statement_import.imported_at:%Y-%m-%d %H:%M} UTC: "
                "nothing changed."
            )
        self.stdout.write(f"Entries: {summary.entries}")
        self.stdout.write(
            f"Matched: {summary.matched} ({', '.join(money_text(a, c) for c, a in summary.matched_amounts) or '0.00'})"
        )
        for kind, label, count in summary.by_outcome:
            if kind != "matched":
                self.stdout.write(f"{label}: {count}")
        self.stdout.write(f"Open for a decision: {summary.open}")
