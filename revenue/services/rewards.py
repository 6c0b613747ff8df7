"""Reward grants: a campaign pays the reward of an attributed sale when the sale is recorded.

``reward_grant_for_sales`` runs inside ``ledger_store``'s transaction, right after the new rows
are stored (one call, ``revenue.services.ledger``), so a sale and its grant commit together or
not at all. For each new sale that names an offer (``offer_id``):

1. the offer as quoted (``scenarios.OfferRecord``: its reward JSON, product and scenario
   version) and the bundle item of that version and product name the campaign;
2. the campaign must be approved and running at the sale's ``occurred_at`` (``starts_at ≤
   occurred_at < ends_at``), in the sale's currency, with budget and count left;
3. the cost: a cashback's or a coupon's amount as quoted; points at ``REWARD_POINT_VALUE`` yuan
   each (a grant of no cost is not written: it would spend nothing and a grant is > 0);
4. **the last grant takes what is left**: when less budget remains than the reward, the grant is
   capped at the remainder (the campaign is then spent to the fen and offers stop carrying
   the reward). A grant is never refused for being larger than what remains, so a budget is
   always used up exactly, and never exceeded;
5. the split: the partner's part is ``to_fen(amount × partner_share)`` (ROUND_HALF_UP), the bank
   takes the remainder, so the two always add up to the amount.

Concurrency: the batch's campaigns are locked with one ``SELECT … FOR UPDATE`` in id order (one
lock per campaign per batch; every locker uses the same order, so two batches never wait on
each other in a cycle). ``spent`` and ``granted`` move in the same transaction, and the
database's checks (``campaign_spent_within_budget``, ``campaign_granted_within_cap``) are the
last line. SQLite serialises writers (transactions begin IMMEDIATE).

A refund does **not** reverse a grant: the reward went to the customer with the sale, the
budget it used stays used and the partner's part stays deducted. (A campaign that must claw
back does so outside the ledger; docs/revenue.md.)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.fen import to_fen
from scenarios.models import BundleItem, Campaign, OfferRecord
from scenarios.selectors import terms_forget

from ..models import RewardGrant, Transaction

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
SALE = Transaction.Kind.SALE


def reward_cost(reward: Mapping | None) -> Decimal:
    """What a reward as quoted (the offer log's JSON) costs a campaign, in its currency: a
    cashback's or coupon's amount; points at ``REWARD_POINT_VALUE`` yuan each, to the fen."""
    if not reward:
        return ZERO
    kind = reward.get("kind")
    if kind in ("cashback", "coupon"):
        return to_fen(Decimal(str(reward.get("amount") or 0)))
    if kind == "points":
        return to_fen(Decimal(str(reward.get("points") or 0)) * Decimal(settings.REWARD_POINT_VALUE))
    return ZERO


def reward_split(amount: Decimal, partner_share: Decimal) -> tuple[Decimal, Decimal]:
    """``(partner, bank)``: the partner's part half up to the fen, the bank the remainder."""
    partner = to_fen(amount * partner_share)
    return partner, amount - partner


def reward_grant_for_sales(
    *, partner_id: int, rows: Sequence, created: Mapping[str, int]
) -> list[RewardGrant]:
    """Grant the rewards of the new attributed sales among ``rows`` (ledger rows with
    ``external_id``, ``kind``, ``product_id`` and ``offer_id``; ``created`` maps the new ones to
    their ids). Call inside the transaction that stored them. No query when no new sale names an
    offer; one small read when no bundle item of their products has a campaign; otherwise 4
    reads, one locking read, one insert and one update per campaign granted from."""
    new_sales = [r for r in rows if r.offer_id and r.kind == SALE and r.external_id in created]
    if not new_sales:
        return []
    # A grant needs a bundle item of the sale's product with a campaign (the offer's version's
    # item, and an offer is only attributed to a sale of its product): when no item of these
    # products has one, nothing can be granted and the batch's offers are not read again.
    if not BundleItem.objects.filter(
        product_id__in={r.product_id for r in new_sales}, campaign__isnull=False
    ).exists():
        return []
    sale_ids = [created[r.external_id] for r in new_sales]
    sales = list(
        Transaction.objects.filter(pk__in=sale_ids)
        .order_by("pk")
        .values_list("pk", "offer_id", "offer_quoted_at", "occurred_at", "currency", "product__code")
    )
    quoted = [s[2] for s in sales if s[2] is not None]
    offers = OfferRecord.objects.filter(
        partner_id=partner_id, offer_id__in={s[1] for s in sales}, tryout=False, sandbox=False
    )
    if len(quoted) == len(sales):
        # PostgreSQL: only the partitions from then on (a day's slack: the id alone decides).
        offers = offers.filter(quoted_at__gte=min(quoted) - timedelta(days=1))
    found = {
        offer_id: (quoted_at, scenario_id, product_code, reward)
        for offer_id, quoted_at, scenario_id, product_code, reward in offers.values_list(
            "offer_id", "quoted_at", "scenario_id", "product_code", "reward"
        )
    }
    if not found:
        return []
    campaign_of = {
        (scenario_id, product_code): campaign_id
        for scenario_id, product_code, campaign_id in BundleItem.objects.filter(
            scenario_id__in={o[1] for o in found.values()},
            product__code__in={o[2] for o in found.values()},
            campaign__isnull=False,
        ).values_list("scenario_id", "product__code", "campaign_id")
    }
    wanted: list[tuple[int, str, object, str, int, Decimal]] = []
    for pk, offer_id, _quoted_at, occurred_at, currency, product_code in sales:
        offer = found.get(offer_id)
        if offer is None or offer[2] != product_code:
            continue
        campaign_id = campaign_of.get((offer[1], offer[2]))
        cost = reward_cost(offer[3])
        if campaign_id is not None and cost > 0:
            wanted.append((pk, offer_id, occurred_at, currency, campaign_id, cost))
    if not wanted:
        return []
    # One lock per campaign, in id order (``ORDER BY`` under ``FOR UPDATE``: rows are locked as
    # they come sorted).
    campaigns = {
        c.pk: c
        for c in Campaign.objects.select_for_update().filter(pk__in={w[4] for w in wanted}).order_by("pk")
    }
    grants: list[RewardGrant] = []
    used: set[int] = set()
    now = timezone.now()
    for pk, offer_id, occurred_at, currency, campaign_id, cost in wanted:
        campaign = campaigns[campaign_id]
        if currency != campaign.currency or not campaign.grants_at(occurred_at):
            continue
        amount = min(cost, campaign.budget - campaign.spent)
        partner_amount, bank_amount = reward_split(amount, campaign.partner_share)
        grants.append(
            RewardGrant(
                campaign_id=campaign_id,
                partner_id=partner_id,
                transaction_id=pk,
                offer_id=offer_id,
                currency=currency,
                amount=amount,
                partner_amount=partner_amount,
                bank_amount=bank_amount,
                granted_at=now,
            )
        )
        # In memory too, so the next sale of the batch sees what is left.
        campaign.spent += amount
        campaign.granted += 1
        used.add(campaign_id)
    if not grants:
        return []
    RewardGrant.objects.bulk_create(grants)
    for campaign_id in sorted(used):
        # The totals worked out under the lock, written as they are (not ``spent + x`` in SQL:
        # SQLite would add binary floats and drift off the fen).
        campaign = campaigns[campaign_id]
        Campaign.objects.filter(pk=campaign_id).update(spent=campaign.spent, granted=campaign.granted)
    spent = [c.code for pk, c in campaigns.items() if pk in used and c.exhausted]
    if spent:
        logger.info("campaigns spent: %s", ", ".join(spent))
        transaction.on_commit(terms_forget)
    return grants
