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


@shared_task(name="portal.tasks.console_rollup_recent")
def console_rollup_recent() -> str:
    """Rebuild the console's roll-ups for the last few business days (late reports included)."""
    from datetime import timedelta

    from django.conf import settings

    from partners.selectors import business_today
    from portal.console.services.rollups import transaction_rollup_refresh

    today = business_today()
    result = transaction_rollup_refresh(
        start=today - timedelta(days=settings.CONSOLE_ROLLUP_RECENT_DAYS - 1), end=today
    )
    return f"{result.days} days, {result.rows} rows"


@shared_task(name="portal.tasks.console_rollup_nightly")
def console_rollup_nightly() -> str:
    """Rebuild the roll-ups over the long look-back, catching very late reports."""
    from datetime import timedelta

    from django.conf import settings

    from partners.selectors import business_today
    from portal.console.services.rollups import transaction_rollup_refresh

    today = business_today()
    result = transaction_rollup_refresh(
        start=today - timedelta(days=settings.CONSOLE_ROLLUP_NIGHTLY_DAYS - 1), end=today
    )
    return f"{result.days} days, {result.rows} rows"


@shared_task(name="portal.tasks.risk_scan")
def risk_scan() -> str:
    """Refresh today's roll-up, then run the risk rules over today (and yesterday, whose last
    hours the previous scan may have missed)."""
    from datetime import timedelta

    from partners.selectors import business_today
    from portal.console.services.risk import risk_scan as scan
    from portal.console.services.rollups import transaction_rollup_refresh

    today = business_today()
    transaction_rollup_refresh(start=today - timedelta(days=1), end=today)
    results = [scan(day=today - timedelta(days=1)), scan(day=today)]
    return ", ".join(f"{r.day}: {r.created} new of {r.found}" for r in results)
