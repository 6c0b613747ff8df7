"""Reward-campaign helpers: campaigns built as rows (approved unless told), offers in the
offer log, and attributed sales stored through ``ledger_store`` (the grant hook runs there)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from django.db import connection, transaction
from django.utils import timezone

from revenue.services.ledger import ledger_row, ledger_store, partner_catalog
from scenarios.models import OfferRecord
from scenarios.services.offer_log import offer_log_partitions_create

from .factories import at, item

_offers = itertools.count(1)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scenarios.Campaign"

    code = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    starts_at = datetime(2025, 12, 1, tzinfo=UTC)
    ends_at = datetime(2027, 1, 1, tzinfo=UTC)
    currency = "CNY"
    budget = Decimal("100.00")
    funded_by = "bank"
    partner_share = Decimal(0)
    status = "approved"


def offer_record(
    partner, scenario, product_code: str, reward: dict | None, *, quoted_at: datetime | None = None
) -> OfferRecord:
    """An offer answered to ``partner`` in the offer log (its month's partition made on PG)."""
    quoted_at = quoted_at or at(date(2026, 1, 15), 9)
    if connection.vendor == "postgresql":
        offer_log_partitions_create(months=[quoted_at.date().replace(day=1)])
    return OfferRecord.objects.create(
        offer_id=f"ofr_test{next(_offers):018d}",
        quoted_at=quoted_at,
        expires_at=quoted_at + timedelta(minutes=30),
        request_id="req_test",
        partner=partner,
        channel="api",
        scenario=scenario,
        event="booking.created",
        product_code=product_code,
        category="installment",
        amount=Decimal("1000.00"),
        currency="CNY",
        amount_band="1k-5k",
        price={},
        reward=reward,
    )


def attributed_sales(partner, pairs, *, catalog=None) -> dict[str, int]:
    """Store sales (``(item dict, OfferRecord or None)``) as the ledger does, each naming its
    offer; answers ``{external_id: id}`` created. The grant hook runs inside, as in ingest."""
    catalog = catalog or partner_catalog(partner=partner)
    now, ops = timezone.now(), connection.ops
    rows = []
    for index, (data, offer) in enumerate(pairs):
        row = ledger_row(partner.pk, data, catalog, index, now, "api", ops)
        if offer is not None:
            row = row._replace(
                offer_id=offer.offer_id, offer_quoted_at=ops.adapt_datetimefield_value(offer.quoted_at)
            )
        rows.append(row)
    with transaction.atomic():
        created, _existing, conflicts = ledger_store(rows, partner_id=partner.pk)
        assert not conflicts
    return created


def sale(amount: str = "1000.00", day: date = date(2026, 1, 15), **kwargs) -> dict:
    return item(amount=amount, day=day, **kwargs)


def cashback(amount: str) -> dict:
    return {"kind": "cashback", "amount": amount}
