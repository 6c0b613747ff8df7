"""Reads of the offer funnel (selectors): offers → distinct offers taken → net gross, broken
down by one dimension, over a range of business days (Asia/Shanghai, the day of the offer).

Every figure comes from the roll-up ``OfferFunnelDaily`` (and ``OfferCustomerDaily`` for
cross-sell), never from the offer log or the ledger: one query per breakdown whatever the
number of offers, its cost following the days and combinations shown.

``conversion`` is ``taken / offers``, four decimals half up; no offers → ``0.0000``.
A partner sees only its own rows: the partner's selectors take the partner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from core.money import MoneySum

from .models import OfferCustomerDaily, OfferFunnelDaily

ZERO = Decimal("0.00")
FOUR_PLACES = Decimal("0.0001")

# Each breakdown: the keys of its rows → the roll-up's columns.
GROUPS: dict[str, dict[str, str]] = {
    "scenario": {"scenario": "scenario__code"},
    "version": {"scenario": "scenario__code", "version": "scenario__version"},
    "product": {"product": "product_code"},
    "segment": {"segment": "segment"},
    "channel": {"channel": "channel"},
    "day": {"day": "day"},
    # Staff only:
    "partner": {"partner": "partner_id", "partner_name": "partner__display_name"},
    "amount_band": {"amount_band": "amount_band"},
}
PARTNER_GROUPS = ("scenario", "version", "product", "segment", "channel", "day")
STAFF_GROUPS = ("scenario", "version", "product", "segment", "channel", "partner", "amount_band", "day")

FIGURES = {
    "offers": Coalesce(Sum("offers"), 0),
    "taken": Coalesce(Sum("taken"), 0),
    "gross_amount": MoneySum("gross_amount", default=ZERO),
    "reward_cost": MoneySum("reward_cost", default=ZERO),
}


def conversion(taken: int, offers: int) -> Decimal:
    """Offers taken per offer shown, four decimals (half up); 0 offers → 0.0000."""
    if not offers:
        return Decimal("0.0000")
    return (Decimal(taken) / Decimal(offers)).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class FunnelQuery:
    """What a funnel is narrowed by: business days ``start``…``end`` (inclusive), optionally a
    scenario code, a partner (the partner's own view always sets it) and a version id."""

    start: date
    end: date
    scenario: str = ""
    partner_id: int | None = None


def _rollup(query: FunnelQuery) -> QuerySet[OfferFunnelDaily]:
    rows = OfferFunnelDaily.objects.filter(day__gte=query.start, day__lte=query.end)
    if query.partner_id is not None:
        rows = rows.filter(partner_id=query.partner_id)
    if query.scenario:
        rows = rows.filter(scenario__code=query.scenario)
    return rows


def funnel_breakdown(*, query: FunnelQuery, group_by: str, extra: tuple[str, ...] = ()) -> list[dict]:
    """One row per value of ``group_by`` (a key of ``GROUPS``; ``extra`` groups more keys in
    too, e.g. ``("partner", "scenario")`` for the revenue share): the group keys, ``offers``,
    ``taken``, ``conversion``, ``gross_amount``, ``reward_cost``. One query."""
    keys: dict[str, str] = dict(GROUPS[group_by])
    for name in extra:
        keys.update(GROUPS[name])
    columns = list(dict.fromkeys(keys.values()))
    rows = []
    for found in _rollup(query).values(*columns).annotate(**FIGURES).order_by(*columns):
        row = {key: found[column] for key, column in keys.items()}
        row.update((name, found[name]) for name in FIGURES)
        row["conversion"] = conversion(row["taken"], row["offers"])
        rows.append(row)
    return rows


def funnel_totals(*, query: FunnelQuery) -> dict:
    """The whole funnel of ``query`` in one row. One query."""
    row = _rollup(query).aggregate(**FIGURES)
    row["conversion"] = conversion(row["taken"], row["offers"])
    return row


def funnel_for_partner(*, partner, start: date, end: date, group_by: str, scenario: str = "") -> list[dict]:
    """The partner's own funnel (``PARTNER_GROUPS``): the rows of ``GET insights/funnel/``."""
    if group_by not in PARTNER_GROUPS:
        raise ValueError(group_by)
    return funnel_breakdown(
        query=FunnelQuery(start=start, end=end, scenario=scenario, partner_id=partner.pk), group_by=group_by
    )


def funnel_totals_for_partner(*, partner, start: date, end: date, scenario: str = "") -> dict:
    return funnel_totals(query=FunnelQuery(start=start, end=end, scenario=scenario, partner_id=partner.pk))


def cross_sell(*, query: FunnelQuery) -> dict:
    """Customers over the whole period (a customer counted once, however many months): with an
    offer, offered 2+ products, with an offer taken, who took 2+ products. One query."""
    rows = OfferCustomerDaily.objects.filter(day__gte=query.start, day__lte=query.end)
    if query.partner_id is not None:
        rows = rows.filter(partner_id=query.partner_id)
    if query.scenario:
        rows = rows.filter(scenario__code=query.scenario)
    per_customer = (
        rows.values("partner_id", "customer_ref")
        .annotate(
            products=Count("product_code", distinct=True),
            taken_products=Count("product_code", distinct=True, filter=Q(taken__gt=0)),
        )
        .order_by()
    )
    # Django groups per customer in a subquery and counts over it: four numbers come back.
    return per_customer.aggregate(
        customers=Count("customer_ref"),
        offered_several=Count("customer_ref", filter=Q(products__gt=1)),
        buyers=Count("customer_ref", filter=Q(taken_products__gt=0)),
        bought_several=Count("customer_ref", filter=Q(taken_products__gt=1)),
    )
