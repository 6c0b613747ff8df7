"""Reward grants: an attributed sale is granted its offer's reward from the campaign of the
bundle item, within budget and count cap, split between partner and bank to the fen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.epoch import epoch
from revenue.models import RewardGrant, Transaction
from revenue.services import reward_cost, reward_grant_for_sales, reward_split
from scenarios.models import BundleItem, Campaign

from .factories import item
from .rewards import CampaignFactory, attributed_sales, cashback, offer_record, sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(scenario, products):
    campaign = CampaignFactory(budget=Decimal("100.00"))
    BundleItem.objects.filter(scenario=scenario, product=products[0]).update(campaign=campaign)
    return campaign


def offer(partner, scenario, reward, **kwargs):
    return offer_record(partner, scenario, "trip-installment", reward, **kwargs)


def test_a_sale_naming_an_offer_is_granted_its_cashback(partner, scenario, agreement, campaign):
    quoted = offer(partner, scenario, cashback("12.50"))

    created = attributed_sales(partner, [(sale(), quoted)])

    grant = RewardGrant.objects.get()
    assert grant.transaction_id == created[next(iter(created))]
    assert (grant.amount, grant.partner_amount, grant.bank_amount) == (Decimal("12.50"), 0, Decimal("12.50"))
    assert grant.offer_id == quoted.offer_id
    assert grant.partner == partner
    assert grant.campaign == campaign
    campaign.refresh_from_db()
    assert (campaign.spent, campaign.granted) == (Decimal("12.50"), 1)


def test_a_sale_naming_no_offer_is_granted_nothing_and_costs_no_query(partner, scenario, agreement, campaign):
    created = attributed_sales(partner, [(sale(), None)])

    with CaptureQueriesContext(connection) as queries:
        assert reward_grant_for_sales(partner_id=partner.pk, rows=[], created=created) == []
    assert not queries.captured_queries
    assert not RewardGrant.objects.exists()


def test_an_offer_without_reward_or_item_without_campaign_grants_nothing(
    partner, scenario, products, agreement, campaign
):
    no_reward = offer(partner, scenario, None)
    other_product = offer_record(partner, scenario, "trip-cover", cashback("5.00"))

    attributed_sales(partner, [(sale(), no_reward), (sale(product="trip-cover"), other_product)])

    assert not RewardGrant.objects.exists()


def test_the_last_grant_takes_what_is_left_and_then_none(partner, scenario, agreement, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(budget=Decimal("20.00"))
    offers = [offer(partner, scenario, cashback("12.50")) for _ in range(3)]

    attributed_sales(partner, [(sale(), offers[0]), (sale(), offers[1])])
    attributed_sales(partner, [(sale(), offers[2])])

    amounts = sorted(RewardGrant.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("7.50"), Decimal("12.50")]
    campaign.refresh_from_db()
    assert campaign.spent == campaign.budget == Decimal("20.00")
    assert campaign.exhausted


def test_the_count_cap_stops_grants(partner, scenario, agreement, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(count_cap=2)

    attributed_sales(partner, [(sale(), offer(partner, scenario, cashback("1.00"))) for _ in range(3)])

    campaign.refresh_from_db()
    assert (campaign.granted, campaign.spent) == (2, Decimal("2.00"))
    assert RewardGrant.objects.count() == 2


@pytest.mark.parametrize(
    ("starts", "ends", "granted"),
    [
        (datetime(2026, 1, 16, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC), 0),  # not started
        (datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 15, 4, tzinfo=UTC), 0),  # ends at the sale
        (datetime(2026, 1, 15, 4, tzinfo=UTC), datetime(2026, 1, 16, tzinfo=UTC), 1),  # starts at it
    ],
)
def test_only_a_sale_within_the_campaign_dates_is_granted(
    partner, scenario, agreement, campaign, starts, ends, granted
):
    Campaign.objects.filter(pk=campaign.pk).update(starts_at=starts, ends_at=ends)

    # noon in Shanghai is 04:00 UTC
    attributed_sales(partner, [(sale(), offer(partner, scenario, cashback("3.00")))])

    assert RewardGrant.objects.count() == granted


@pytest.mark.parametrize("status", ["draft", "pending", "closed"])
def test_a_campaign_not_approved_grants_nothing(partner, scenario, agreement, campaign, status):
    Campaign.objects.filter(pk=campaign.pk).update(status=status)

    attributed_sales(partner, [(sale(), offer(partner, scenario, cashback("3.00")))])

    assert not RewardGrant.objects.exists()


def test_a_split_rounds_the_partners_part_half_up_and_the_bank_takes_the_rest(
    partner, scenario, agreement, campaign
):
    Campaign.objects.filter(pk=campaign.pk).update(funded_by="split", partner_share=Decimal("0.5"))

    attributed_sales(partner, [(sale(), offer(partner, scenario, cashback("0.05")))])

    grant = RewardGrant.objects.get()
    assert (grant.partner_amount, grant.bank_amount) == (Decimal("0.03"), Decimal("0.02"))


def test_points_cost_their_setting_value(partner, scenario, agreement, campaign, settings):
    settings.REWARD_POINT_VALUE = "0.01"
    attributed_sales(partner, [(sale(), offer(partner, scenario, {"kind": "points", "points": 250}))])
    settings.REWARD_POINT_VALUE = "0"
    attributed_sales(partner, [(sale(), offer(partner, scenario, {"kind": "points", "points": 250}))])

    assert list(RewardGrant.objects.values_list("amount", flat=True)) == [Decimal("2.50")]
    campaign.refresh_from_db()
    assert campaign.granted == 1


def test_a_refund_does_not_reverse_the_grant(partner, scenario, agreement, campaign):
    attributed_sales(partner, [(sale(external_id="s-1"), offer(partner, scenario, cashback("8.00")))])

    attributed_sales(
        partner, [(item(kind="refund", refund_of="s-1", amount="1000.00", day=date(2026, 1, 16)), None)]
    )

    campaign.refresh_from_db()
    assert campaign.spent == Decimal("8.00")
    assert RewardGrant.objects.get().amount == Decimal("8.00")
    assert Transaction.objects.filter(kind="refund").exists()


def test_a_replayed_sale_is_granted_once(partner, scenario, agreement, campaign):
    quoted = offer(partner, scenario, cashback("4.00"))
    data = sale(external_id="s-replay")

    attributed_sales(partner, [(data, quoted)])
    attributed_sales(partner, [(data, quoted)])

    assert RewardGrant.objects.count() == 1
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("4.00")


def test_another_partners_offer_grants_nothing(partner, other_partner, scenario, agreement, campaign):
    theirs = offer(other_partner, scenario, cashback("4.00"))

    attributed_sales(partner, [(sale(), theirs)])

    assert not RewardGrant.objects.exists()


def test_a_currency_other_than_the_campaigns_grants_nothing(partner, scenario, agreement, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(currency="USD")

    attributed_sales(partner, [(sale(), offer(partner, scenario, cashback("4.00")))])

    assert not RewardGrant.objects.exists()


def test_spending_the_budget_tells_every_process_after_commit(
    partner, scenario, agreement, campaign, django_capture_on_commit_callbacks
):
    Campaign.objects.filter(pk=campaign.pk).update(budget=Decimal("5.00"))
    before = epoch()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attributed_sales(partner, [(sale(), offer(partner, scenario, cashback("4.00")))])
    assert not callbacks  # budget left: nothing to forget
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        attributed_sales(partner, [(sale(), offer(partner, scenario, cashback("4.00")))])

    assert callbacks  # the terms are forgotten after commit …
    assert epoch() != before  # … in every process


def test_reward_cost_and_split():
    assert reward_cost(None) == 0
    assert reward_cost({"kind": "coupon", "amount": "20.00"}) == Decimal("20.00")
    assert reward_cost({"kind": "cashback", "amount": "0.01"}) == Decimal("0.01")
    assert reward_split(Decimal("10.01"), Decimal("0.3333")) == (Decimal("3.34"), Decimal("6.67"))
    assert reward_split(Decimal("9.99"), Decimal(1)) == (Decimal("9.99"), Decimal("0.00"))


costs = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40.00"), places=2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    budget=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100.00"), places=2),
    cap=st.one_of(st.none(), st.integers(1, 6)),
    share=st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=4),
    batches=st.lists(st.lists(costs, min_size=1, max_size=4), min_size=1, max_size=4),
)
def test_random_grants_never_pass_the_budget_or_cap(
    partner, scenario, agreement, budget, cap, share, batches
):
    campaign = CampaignFactory(budget=budget, count_cap=cap, funded_by="split", partner_share=share)
    BundleItem.objects.filter(scenario=scenario, product__code="trip-installment").update(campaign=campaign)
    for batch in batches:
        attributed_sales(partner, [(sale(), offer(partner, scenario, cashback(str(c)))) for c in batch])

    campaign.refresh_from_db()
    grants = list(
        RewardGrant.objects.filter(campaign=campaign).values_list("amount", "partner_amount", "bank_amount")
    )
    assert campaign.spent <= campaign.budget
    assert cap is None or campaign.granted <= cap
    assert sum((a for a, _p, _b in grants), Decimal(0)) == campaign.spent
    assert len(grants) == campaign.granted
    assert all(a == p + b and a > 0 for a, p, b in grants)
    asked = [c for batch in batches for c in batch]
    if cap is None or len(asked) <= cap:  # only the budget limits it: spent all, or all asked
        assert campaign.spent == min(budget, sum(asked))


def test_staff_see_grants_read_only_with_money(admin_client, partner, scenario, agreement, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(budget=Decimal("5000.00"))
    attributed_sales(partner, [(sale(), offer(partner, scenario, cashback("1234.50")))])

    page = admin_client.get(reverse("admin:revenue_rewardgrant_changelist")).content.decode()

    assert "1,234.50" in page
    assert admin_client.get(reverse("admin:revenue_rewardgrant_add")).status_code == 403
