"""``python manage.py payout_file BATCH_ID --format pain001|csv``: a released batch's payment
file on standard output, byte for byte what the admin downloads (and the same every time)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.domain import DomainError
from payouts.models import PayoutBatch
from payouts.pain001 import FORMATS, payment_file


class Command(BaseCommand):
    help = "Write a released payout batch's payment file (ISO 20022 pain.001.001.03 or CSV) to stdout."

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int, help="The payout batch's id.")
        parser.add_argument("--format", choices=FORMATS, default="pain001", dest="file_format")

    def handle(self, *args, batch_id: int, file_format: str, **options):
        batch = PayoutBatch.objects.filter(pk=batch_id).first()
        if batch is None:
            raise CommandError(f"No payout batch {batch_id}.")
        try:
            content, _name, _type = payment_file(batch, file_format)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        # UTF-8 text, written as it is (no line ending added).
        self.stdout.write(content.decode("utf-8"), ending="")
