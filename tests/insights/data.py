"""Offers and attributed sales for the funnel's tests, written by the real writers: offers
through the offer log's batch write (which counts them in the roll-ups), sales straight into
the ledger with their ``offer_id`` and ``offer_quoted_at`` (as attribution records them)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from revenue.models import Transaction
from scenarios.models import Scenario
from scenarios.services.offer_log import amount_band, offer_log_write

SHANGHAI = ZoneInfo("Asia/Shanghai")
_n = itertools.count(1)


def offer(
    *,
    partner,
    scenario,
    product,
    quoted_at: datetime,
    segment: str = "",
    channel: str = "api",
    tryout: bool = False,
    amount: Decimal = Decimal("10000.00"),
    customer_ref: str = "",
    consent_id: str = "",
) -> tuple:
    """One offer-log row (``offer_log.COLUMNS`` order)."""
    offer_id = f"ofr_test_{next(_n):012d}"
    return (
        offer_id,
        quoted_at,
        quoted_at + timedelta(minutes=30),
        f"req_{offer_id}",
        partner.pk,
        "fnk_test",
        channel,
        tryout,
        scenario.pk,
        "booking.created",
        product.code,
        product.category,
        segment,
        amount,
        "CNY",
        amount_band(amount),
        None,
        None,
        None,
        {"annual_rate": "0.120000"},
        None,
        customer_ref,
        consent_id,
        False,  # sandbox
    )


def offers_write(rows: list[tuple]) -> None:
    offer_log_write(rows)


def sale(
    row: tuple,
    *,
    product,
    amount: str,
    kind: str = "sale",
    refund_of: Transaction | None = None,
    received_at: datetime | None = None,
    partner=None,
) -> Transaction:
    """A transaction attributed to the offer ``row`` (of its partner unless ``partner``)."""
    offer_id, quoted_at, partner_id, scenario_id = row[0], row[1], row[4], row[8]
    occurred = quoted_at + timedelta(hours=1)
    external_id = f"tx-{next(_n)}"
    return Transaction.objects.create(
        partner_id=partner.pk if partner else partner_id,
        external_id=external_id,
        scenario_id=scenario_id,
        scenario_code=Scenario.objects.values_list("code", flat=True).get(pk=scenario_id),
        product=product,
        kind=kind,
        amount=Decimal(amount),
        currency="CNY",
        occurred_at=occurred,
        occurred_on=occurred.astimezone(SHANGHAI).date(),
        received_at=received_at or occurred,
        content_hash=hashlib.sha256(external_id.encode()).hexdigest(),
        refund_of=refund_of,
        offer_id=offer_id,
        offer_quoted_at=quoted_at,
    )
