"""Thin Celery tasks of the project itself."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)


@shared_task(name="portal.tasks.heartbeat")
def heartbeat() -> str:
    """Record that beat and a worker are alive; the health page shows the last beat."""
    now = timezone.now().isoformat()
    cache.set("portal:last-heartbeat", now, timeout=None)
    return now


@shared_task(name="portal.tasks.echo")
def echo(value: str) -> str:
    """Return the value: used to prove a worker process runs tasks end to end."""
    return value
