"""The ledger's side of the funnel's roll-ups: what became of the offers.

For one business day of the offers (Asia/Shanghai, of ``quoted_at``) and some partners,
``funnel_sales_recompute`` sets, in ``scenarios.OfferFunnelDaily`` and ``OfferCustomerDaily``:

- ``taken``: distinct offers with at least one sale (an offer sold, refunded and sold again is
  one offer taken);
- ``gross_amount``: the offer's sales less its refunds (a refund names its sale's offer), summed
  exactly (``core.money.money_sum_sql``);
- ``reward_cost``: the campaign rewards granted for those sales (``RewardGrant.amount``).

It starts from the attributed transactions of that quote-day (index
``transaction_offer_day_idx``) and finds each one's offer in the log by its primary key
(``offer_id``, ``offer_quoted_at``), so its cost follows the sales, not the offers. It replaces
the figures (never adds), so running it again changes nothing.

``funnel_sales_refresh`` (beat, every 5 minutes) recomputes the quote-days touched by the
attributed transactions received since its mark (``FunnelSalesMark``), looking back
``FUNNEL_REFRESH_OVERLAP_SECONDS`` more so that a row committed a little after its
``received_at`` is not missed. ``funnel_rebuild`` (``manage.py funnel_rebuild``) rebuilds a
range of days, offers included, from the log and the ledger.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.money import money_sum_sql
from revenue.models import FunnelSalesMark, RewardGrant, Transaction
from scenarios.models import OfferCustomerDaily, OfferFunnelDaily
from scenarios.services.funnel import (
    CUSTOMER_KEY,
    CUSTOMER_TABLE,
    FUNNEL_KEY,
    FUNNEL_TABLE,
    LOG_TABLE,
    business_day_window,
    business_days,
    offer_funnel_offers_rebuild,
    rollups_lock,
)

logger = logging.getLogger(__name__)

MARK = "sales"
LEDGER = Transaction._meta.db_table
GRANTS = RewardGrant._meta.db_table


@dataclass(frozen=True)
class FunnelRefresh:
    transactions: int  # attributed transactions seen since the mark
    days: int  # (partner, quote-day) pairs recomputed


def funnel_sales_recompute(*, day: date, partner_ids: list[int] | None = None) -> None:
    """Recompute taken, gross and reward cost of the offers of business ``day`` (of the given
    partners, or all). Call inside a transaction."""
    funnel = OfferFunnelDaily.objects.filter(day=day)
    customers = OfferCustomerDaily.objects.filter(day=day)
    partner_sql, partner_params = "", []
    if partner_ids is not None:
        if not partner_ids:
            return
        funnel, customers = (
            funnel.filter(partner_id__in=partner_ids),
            customers.filter(partner_id__in=partner_ids),
        )
        partner_sql = f" AND t.partner_id IN ({', '.join(['%s'] * len(partner_ids))})"
        partner_params = list(partner_ids)
    funnel.exclude(taken=0, gross_amount=0, reward_cost=0).update(taken=0, gross_amount=0, reward_cost=0)
    customers.exclude(taken=0).update(taken=0)
    window = business_day_window(day)
    vendor = connection.vendor
    gross = money_sum_sql("CASE WHEN t.kind = 'refund' THEN -t.amount ELSE t.amount END", vendor=vendor)
    reward = money_sum_sql("COALESCE(g.amount, 0)", vendor=vendor)
    sold = "COUNT(DISTINCT CASE WHEN t.kind = 'sale' THEN o.offer_id END)"
    joined = f"""FROM {LEDGER} t
        JOIN {LOG_TABLE} o ON o.offer_id = t.offer_id AND o.quoted_at = t.offer_quoted_at
            AND o.partner_id = t.partner_id
        LEFT JOIN {GRANTS} g ON g.transaction_id = t.id
        WHERE t.offer_id <> '' AND t.offer_quoted_at >= %s AND t.offer_quoted_at < %s
            AND NOT o.tryout AND NOT o.sandbox{partner_sql}"""
    dims = "o.partner_id, o.scenario_id, o.product_code, o.segment, o.channel, o.amount_band"
    cdims = "o.partner_id, o.customer_ref, o.scenario_id, o.product_code"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {FUNNEL_TABLE} ({", ".join(FUNNEL_KEY)}, offers, taken, gross_amount, reward_cost)
            SELECT %s, {dims}, 0, {sold}, {gross}, {reward} {joined}
            GROUP BY {dims}
            ON CONFLICT ({", ".join(FUNNEL_KEY)}) DO UPDATE SET taken = excluded.taken,
                gross_amount = excluded.gross_amount, reward_cost = excluded.reward_cost""",
            [day, *window, *partner_params],
        )
        cursor.execute(
            f"""INSERT INTO {CUSTOMER_TABLE} ({", ".join(CUSTOMER_KEY)}, offers, taken)
            SELECT %s, {cdims}, 0, {sold} {joined} AND o.customer_ref <> ''
            GROUP BY {cdims}
            ON CONFLICT ({", ".join(CUSTOMER_KEY)}) DO UPDATE SET taken = excluded.taken""",
            [day, *window, *partner_params],
        )


@transaction.atomic
def funnel_sales_refresh(*, now=None) -> FunnelRefresh:
    """Fold the attributed transactions received since the mark into the roll-ups: recompute
    each (partner, quote-day) they touch. Runs one at a time (the mark's row lock)."""
    now = now or timezone.now()
    mark, _created = FunnelSalesMark.objects.select_for_update().get_or_create(
        name=MARK, defaults={"received_through": now - timedelta(days=1), "refreshed_at": now}
    )
    since = mark.received_through - timedelta(seconds=settings.FUNNEL_REFRESH_OVERLAP_SECONDS)
    recent = Transaction.objects.exclude(offer_id="").filter(
        received_at__gt=since, received_at__lte=now, offer_quoted_at__isnull=False
    )
    touched: dict[date, list[int]] = defaultdict(list)
    for row in (
        recent.annotate(day=TruncDate("offer_quoted_at"))
        .values("day", "partner_id")
        .distinct()
        .order_by("day", "partner_id")
    ):
        touched[row["day"]].append(row["partner_id"])
    for day, partner_ids in touched.items():
        funnel_sales_recompute(day=day, partner_ids=partner_ids)
    seen = recent.count() if touched else 0
    mark.received_through, mark.refreshed_at = now, now
    mark.save(update_fields=["received_through", "refreshed_at"])
    pairs = sum(len(p) for p in touched.values())
    logger.info("funnel: %d attributed transactions, %d partner quote-days recomputed", seen, pairs)
    return FunnelRefresh(transactions=seen, days=pairs)


@dataclass(frozen=True)
class FunnelRebuild:
    days: int
    offers: int


@transaction.atomic
def funnel_rebuild(*, start: date, end: date) -> FunnelRebuild:
    """Rebuild business days ``start``…``end`` of the roll-ups from the offer log and the
    ledger, for all partners. Idempotent. Offers older than the log's retention are gone from
    the log: their days keep no offers after a rebuild, so rebuild only days the log holds."""
    rollups_lock()
    offers = offer_funnel_offers_rebuild(start=start, end=end)
    days = business_days(start, end)
    for day in days:
        funnel_sales_recompute(day=day)
    logger.info("funnel rebuilt for %s..%s: %d offers", start, end, offers)
    return FunnelRebuild(days=len(days), offers=offers)
