"""The demo's offer history: 90 days of offers of both demo partners, some taken as attributed
sales inside the agreements, two versions of Travel+Finance converting differently, and a
cashback campaign nearly spent whose grants add up; a second run writes nothing new."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from core.money import MoneySum
from revenue.models import Agreement, RewardGrant, Transaction
from scenarios.demo import CAMPAIGN_CODE, HISTORY_DAYS
from scenarios.models import Campaign, OfferQuoteDaily, OfferRecord, Participation, Scenario

pytestmark = pytest.mark.django_db


def _seed(settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())


def _rate(scenario: Scenario) -> float:
    offers = OfferRecord.objects.filter(scenario=scenario)
    taken = Transaction.objects.filter(offer_id__in=offers.values("offer_id")).values("offer_id").distinct()
    return taken.count() / offers.count()


def test_the_demo_has_90_days_of_offers_of_both_partners_some_taken_as_attributed_sales(settings):
    _seed(settings)

    today = timezone.localdate()
    for slug in ("skyway-travel", "greenleaf-community"):
        offers = OfferRecord.objects.filter(partner__slug=slug)
        days = {timezone.localdate(at) for at in offers.values_list("quoted_at", flat=True)}
        assert len(days) == HISTORY_DAYS
        assert min(days) == today - timedelta(days=HISTORY_DAYS)
        assert max(days) == today - timedelta(days=1)
        assert offers.count() > 3000
        # Realistic spread: every segment, amount bands and events, a customer reference each.
        assert set(offers.values_list("segment", flat=True)) == {"standard", "new_customer", "vip"}
        assert offers.values("amount_band").distinct().count() >= 3
        assert offers.values("event").distinct().count() == 2
        assert not offers.filter(customer_ref="").exists()
        assert not offers.filter(tryout=True).exists()
        # The daily counts match the log.
        counted = OfferQuoteDaily.objects.filter(partner__slug=slug).aggregate(n=Sum("offers"))["n"]
        assert counted == offers.count()

    offers = OfferRecord.objects.count()
    taken = Transaction.objects.exclude(offer_id="")
    assert 0.05 <= taken.count() / offers <= 0.15

    # Two versions of Travel+Finance, visibly different: version 2 converts about twice as well.
    first, second = Scenario.objects.filter(code="travel-finance").order_by("version")
    assert OfferRecord.objects.filter(scenario=first).exists()
    assert OfferRecord.objects.filter(scenario=second).exists()
    assert 0.04 <= _rate(first) <= 0.08
    assert 0.10 <= _rate(second) <= 0.15
    assert Participation.objects.get(partner__slug="skyway-travel", status="active").scenario == second

    # Each sale names an offer of its own partner and product, quoted before it, inside an agreement.
    by_offer = {
        o.offer_id: o
        for o in OfferRecord.objects.filter(offer_id__in=taken.values("offer_id")).select_related("scenario")
    }
    agreements = {a.partner_id: a for a in Agreement.objects.filter(status__in=Agreement.IN_FORCE)}
    for sale in taken.select_related("product"):
        offer = by_offer[sale.offer_id]
        assert (offer.partner_id, offer.product_code, offer.quoted_at) == (
            sale.partner_id,
            sale.product.code,
            sale.offer_quoted_at,
        )
        assert offer.quoted_at < sale.occurred_at <= timezone.now()
        assert sale.occurred_on >= agreements[sale.partner_id].effective_from
        assert sale.customer_ref == offer.customer_ref != ""
    assert taken.values("partner", "external_id").distinct().count() == taken.count()

    # The campaign is nearly spent, and its figures are its grants'.
    campaign = Campaign.objects.get(code=CAMPAIGN_CODE)
    grants = RewardGrant.objects.filter(campaign=campaign)
    totals = grants.aggregate(
        spent=MoneySum("amount"),
        partner=MoneySum("partner_amount"),
        bank=MoneySum("bank_amount"),
        n=Count("id"),
    )
    assert (campaign.spent, campaign.granted) == (totals["spent"], totals["n"])
    assert totals["partner"] + totals["bank"] == totals["spent"]
    assert Decimal("0.85") <= campaign.spent / campaign.budget < 1
    for grant in grants.select_related("transaction"):
        offer = by_offer[grant.offer_id]
        assert grant.transaction.offer_id == grant.offer_id
        assert offer.scenario == second
        assert offer.product_code == "travel-installment"
        assert grant.amount == Decimal(offer.reward["amount"])


def test_seeding_the_demo_again_the_same_day_writes_no_offer_sale_or_grant(settings):
    _seed(settings)
    before = (
        OfferRecord.objects.count(),
        Transaction.objects.count(),
        RewardGrant.objects.count(),
        Scenario.objects.count(),
        list(Campaign.objects.values_list("budget", "spent", "granted")),
    )

    _seed(settings)

    assert (
        OfferRecord.objects.count(),
        Transaction.objects.count(),
        RewardGrant.objects.count(),
        Scenario.objects.count(),
        list(Campaign.objects.values_list("budget", "spent", "granted")),
    ) == before
