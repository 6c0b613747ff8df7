"""Periodic jobs of the scenarios app (scheduled in ``CELERY_BEAT_SCHEDULE``)."""

from celery import shared_task

from . import services


@shared_task(name="scenarios.tasks.offer_log_maintain")
def offer_log_maintain() -> dict:
    """Daily (beat): create the offer log's partitions ahead, drop those past the retention."""
    result = services.offer_log_maintain()
    return {"created": result.created, "dropped": result.dropped, "deleted": result.deleted}
