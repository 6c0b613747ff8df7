"""The console's scheduled jobs: roll-up rebuilds, the risk scan and the beat heartbeat.

The task names keep their ``portal.tasks.*`` form from before the console was its own app:
beat rows already stored in a database (django-celery-beat) name them so.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from partners.selectors import business_today

from .services.jobs import heartbeat_record
from .services.risk import risk_scan as scan
from .services.rollups import transaction_rollup_refresh


@shared_task(name="portal.tasks.console_rollup_recent")
def console_rollup_recent() -> str:
    """Rebuild the console's roll-ups for the last few business days (late reports included)."""
    today = business_today()
    result = transaction_rollup_refresh(
        start=today - timedelta(days=settings.CONSOLE_ROLLUP_RECENT_DAYS - 1), end=today
    )
    return f"{result.days} days, {result.rows} rows"


@shared_task(name="portal.tasks.console_rollup_nightly")
def console_rollup_nightly() -> str:
    """Rebuild the roll-ups over the long look-back, catching very late reports."""
    today = business_today()
    result = transaction_rollup_refresh(
        start=today - timedelta(days=settings.CONSOLE_ROLLUP_NIGHTLY_DAYS - 1), end=today
    )
    return f"{result.days} days, {result.rows} rows"


@shared_task(name="portal.tasks.risk_scan")
def risk_scan() -> str:
    """Refresh today's roll-up, then run the risk rules over today (and yesterday, whose last
    hours the previous scan may have missed)."""
    today = business_today()
    transaction_rollup_refresh(start=today - timedelta(days=1), end=today)
    results = [scan(day=today - timedelta(days=1)), scan(day=today)]
    return ", ".join(f"{r.day}: {r.created} new of {r.found}" for r in results)


@shared_task(name="portal.tasks.heartbeat")
def heartbeat() -> str:
    """Beat, every 5 minutes on the default queue: prove beat and a worker alive (the *Jobs*
    page shows the last one, and says when it is late)."""
    return heartbeat_record().isoformat()
