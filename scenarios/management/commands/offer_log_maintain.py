"""``python manage.py offer_log_maintain``: what beat does daily, for an operator to run at once:
create the offer log's monthly partitions ahead (PostgreSQL) and enforce
``OFFER_LOG_RETENTION_DAYS`` (dropping whole partitions; on SQLite deleting rows)."""

from django.core.management.base import BaseCommand

from scenarios.services import offer_log_maintain


class Command(BaseCommand):
    help = "Create the offer log's partitions ahead and drop those past OFFER_LOG_RETENTION_DAYS."

    def handle(self, *args, **options):
        result = offer_log_maintain()
        self.stdout.write(
            f"offer log: {len(result.created)} partitions created, {len(result.dropped)} dropped, "
            f"{result.deleted} rows deleted"
        )
