"""Thin Celery tasks of the project itself."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="portal.tasks.echo")
def echo(value: str) -> str:
    """Return the value: used to prove a worker process runs tasks end to end."""
    return value
