"""Console test data: rows built directly so figures can be computed by hand."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from partners.models import ApiUsage, Partner, PartnerAPIKey
from tests.api.factories import issue


def usage(partner: Partner, day: date, *, calls: int, errors: int = 0, endpoint: str = "offers/", key=None):
    key = key or PartnerAPIKey.objects.filter(partner=partner).first() or issue(partner).api_key
    return ApiUsage.objects.create(
        key=key, partner=partner, day=day, endpoint=endpoint, calls=calls, errors=errors
    )


_sequence = {"n": 0}


def ledger_row(
    partner,
    scenario,
    product,
    *,
    when: datetime,
    amount: str = "100.00",
    kind: str = "sale",
    customer: str = "",
):
    """One ledger row, inserted directly (the console reads the ledger; how rows get there is
    the revenue app's business and tested there). ``when`` is aware."""
    from revenue.models import Transaction

    _sequence["n"] += 1
    local = timezone.localtime(when)
    return Transaction.objects.create(
        partner=partner,
        external_id=f"console-{_sequence['n']}",
        scenario=scenario,
        scenario_code=scenario.code,
        product=product,
        kind=kind,
        amount=Decimal(amount),
        occurred_at=when,
        occurred_on=local.date(),
        received_at=when,
        customer_ref=f"ref-{customer}" if customer else "",
        content_hash="0" * 64,
    )


def shanghai(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo("Asia/Shanghai"))
