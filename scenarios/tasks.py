"""Periodic jobs of the scenarios app (scheduled in ``CELERY_BEAT_SCHEDULE``)."""

from celery import shared_task

from .services import offer_quote_counts_flush as flush


@shared_task(name="scenarios.tasks.offer_quote_counts_flush")
def offer_quote_counts_flush() -> int:
    """Write the buffered offer request counts to ``OfferQuoteDaily``."""
    return flush()
