"""Demo data of the staff console: the roll-ups over the demo ledger and today's risk scan, so
the dashboard and the funnel show the seeded history at once. Idempotent: both rebuild or
store-once."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from partners.selectors import business_today

from .services.risk import risk_scan
from .services.rollups import transaction_rollup_refresh


def seed(*, password: str, stdout) -> None:
    today = business_today()
    result = transaction_rollup_refresh(
        start=today - timedelta(days=settings.CONSOLE_ROLLUP_NIGHTLY_DAYS - 1), end=today
    )
    scan = risk_scan(day=today)
    stdout.write(
        f"staff console: roll-ups of {result.days} days ({result.rows} rows), {scan.found} risk signals\n"
    )
