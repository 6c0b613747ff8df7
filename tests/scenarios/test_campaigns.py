"""Reward campaigns: terms prepared and approved by two people, budget changes likewise, bundle
items of drafts name a campaign of their currency, and offers drop a reward whose campaign does
not pay it now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.domain import DomainError
from scenarios import selectors, services
from scenarios.exceptions import CampaignInvalid, CampaignStatusInvalid, ScenarioImmutable, ScenarioNotAllowed
from scenarios.models import BundleItem, Campaign, CampaignBudgetChange
from tests.factories import StaffFactory
from tests.products.factories import ProductFactory
from tests.revenue.rewards import CampaignFactory
from tests.scenarios.conftest import compose

pytestmark = pytest.mark.django_db

START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


@pytest.fixture
def finance_maker(staff_roles):
    user = StaffFactory(email="fm@bank.example")
    user.groups.add(staff_roles["Finance makers"])
    return user


@pytest.fixture
def finance_checker(staff_roles):
    user = StaffFactory(email="fc@bank.example")
    user.groups.add(staff_roles["Finance checkers"])
    return user


def create(actor, **terms):
    terms = {"name": "Spring cashback", "starts_at": START, "ends_at": END, "budget": D("5000.00"), **terms}
    return services.campaign_create(actor=actor, code=terms.pop("code", "spring-cashback"), **terms)


def test_a_campaign_is_made_submitted_and_approved_by_two_people(finance_maker, finance_checker):
    campaign = create(finance_maker, funded_by="split", partner_share=D("0.25"), count_cap=100)
    services.campaign_submit(campaign=campaign, actor=finance_maker)

    approved = services.campaign_approve(campaign=campaign, actor=finance_checker)

    assert approved.status == Campaign.Status.APPROVED
    assert approved.approved_by == finance_checker
    assert approved.submitted_by == finance_maker
    assert approved.partner_share == D("0.25")


def test_whoever_made_a_campaign_never_approves_it_superuser_or_not(staff_roles, finance_checker):
    root = StaffFactory(email="root@bank.example", is_superuser=True)
    campaign = create(root)
    services.campaign_submit(campaign=campaign, actor=root)

    with pytest.raises(ScenarioNotAllowed, match="created it"):
        services.campaign_approve(campaign=campaign, actor=root)
    assert Campaign.objects.get().status == Campaign.Status.PENDING


def test_whoever_edited_the_draft_never_approves_it(finance_maker, finance_checker, staff_roles):
    campaign = create(finance_maker)
    other_checker = StaffFactory(email="fc2@bank.example", is_superuser=True)
    services.campaign_update(campaign=campaign, actor=other_checker, budget=D("6000.00"))
    services.campaign_submit(campaign=campaign, actor=finance_maker)

    with pytest.raises(ScenarioNotAllowed, match="edited its terms"):
        services.campaign_approve(campaign=campaign, actor=other_checker)
    services.campaign_approve(campaign=campaign, actor=finance_checker)


def test_a_checker_who_sent_it_back_may_approve_it_once_resubmitted(finance_maker, finance_checker):
    campaign = create(finance_maker)
    services.campaign_submit(campaign=campaign, actor=finance_maker)
    services.campaign_send_back(campaign=campaign, actor=finance_checker, reason="Budget too high")
    services.campaign_update(campaign=campaign, actor=finance_maker, budget=D("4000.00"))
    services.campaign_submit(campaign=campaign, actor=finance_maker)

    approved = services.campaign_approve(campaign=campaign, actor=finance_checker)

    assert (approved.status, approved.budget) == ("approved", D("4000.00"))


def test_the_database_refuses_an_approver_who_made_it(finance_maker):
    campaign = create(finance_maker)
    with pytest.raises(Exception, match="campaign_approver_is_not_maker"):
        Campaign.objects.filter(pk=campaign.pk).update(status="approved", approved_by=finance_maker)


def test_only_the_approve_permission_approves(finance_maker, staff_roles):
    campaign = create(finance_maker)
    services.campaign_submit(campaign=campaign, actor=finance_maker)
    other_maker = StaffFactory(email="fm2@bank.example")
    other_maker.groups.add(staff_roles["Finance makers"])

    with pytest.raises(ScenarioNotAllowed):
        services.campaign_approve(campaign=campaign, actor=other_maker)


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"budget": D("0")}, "budget"),
        ({"budget": D("10.001")}, "budget"),
        ({"ends_at": START - timedelta(days=1)}, "ends_at"),
        ({"funded_by": "split", "partner_share": D("1")}, "partner_share"),
        ({"funded_by": "split", "partner_share": D("0")}, "partner_share"),
        ({"count_cap": 0}, "count_cap"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(finance_maker, terms, field):
    with pytest.raises(CampaignInvalid) as refused:
        create(finance_maker, **terms)
    assert refused.value.field == field
    assert not Campaign.objects.exists()


def test_an_approved_campaigns_terms_are_frozen_but_its_names_are_not(finance_maker, finance_checker):
    campaign = create(finance_maker)
    services.campaign_submit(campaign=campaign, actor=finance_maker)
    services.campaign_approve(campaign=campaign, actor=finance_checker)

    with pytest.raises(CampaignInvalid) as refused:
        services.campaign_update(campaign=campaign, actor=finance_maker, budget=D("9000.00"))
    services.campaign_update(campaign=campaign, actor=finance_maker, name_zh="春季返现")

    assert refused.value.field == "budget"
    campaign.refresh_from_db()
    assert (campaign.budget, campaign.name_zh) == (D("5000.00"), "春季返现")


def test_a_budget_change_is_applied_only_by_another_person(staff_roles, finance_checker):
    root = StaffFactory(email="root@bank.example", is_superuser=True)
    campaign = CampaignFactory(budget=D("100.00"), spent=D("60.00"), granted=3)
    change = services.campaign_budget_propose(
        campaign=campaign, actor=root, budget="150.00", count_cap=10, reason="More demand"
    )

    with pytest.raises(ScenarioNotAllowed, match="prepared it"):
        services.campaign_budget_approve(change=change, actor=root)
    services.campaign_budget_approve(change=change, actor=finance_checker)

    campaign.refresh_from_db()
    assert (campaign.budget, campaign.count_cap) == (D("150.00"), 10)
    change.refresh_from_db()
    assert (change.status, change.budget_before, change.decided_by) == (
        "approved",
        D("100.00"),
        finance_checker,
    )
    with pytest.raises(CampaignStatusInvalid):
        services.campaign_budget_approve(change=change, actor=finance_checker)


def test_a_budget_never_goes_below_what_is_spent(finance_maker, finance_checker):
    campaign = CampaignFactory(budget=D("100.00"), spent=D("60.00"), granted=3)
    with pytest.raises(CampaignInvalid, match="already spent") as refused:
        services.campaign_budget_propose(
            campaign=campaign, actor=finance_maker, budget="59.99", count_cap=None, reason="Cut"
        )
    assert refused.value.field == "budget"
    change = services.campaign_budget_propose(
        campaign=campaign, actor=finance_maker, budget="70.00", count_cap=None, reason="Cut"
    )
    Campaign.objects.filter(pk=campaign.pk).update(spent=D("80.00"))  # grants meanwhile

    with pytest.raises(CampaignInvalid, match="already spent"):
        services.campaign_budget_approve(change=change, actor=finance_checker)
    assert CampaignBudgetChange.objects.get().status == "pending"


def test_one_pending_budget_change_at_a_time_and_a_refusal_closes_it(finance_maker, finance_checker):
    campaign = CampaignFactory()
    change = services.campaign_budget_propose(
        campaign=campaign, actor=finance_maker, budget="200.00", count_cap=None, reason="More"
    )
    with pytest.raises(CampaignInvalid, match="already awaits"):
        services.campaign_budget_propose(
            campaign=campaign, actor=finance_maker, budget="300.00", count_cap=None, reason="More"
        )

    services.campaign_budget_reject(change=change, actor=finance_checker, reason="Not this quarter")

    assert CampaignBudgetChange.objects.get().status == "rejected"
    assert Campaign.objects.get().budget == D("100.00")


def test_a_draft_items_campaign_must_be_of_its_currency(manager, installment):
    scenario = compose(manager, products=[])
    usd = CampaignFactory(currency="USD")
    cny = CampaignFactory()

    with pytest.raises(DomainError, match="USD") as refused:
        services.bundle_item_add(
            scenario=scenario, product=installment, actor=manager, reward_kind="coupon",
            reward_amount=D("20.00"), campaign=usd,
        )  # fmt: skip
    item = services.bundle_item_add(
        scenario=scenario, product=installment, actor=manager, reward_kind="coupon",
        reward_amount=D("20.00"), campaign=cny,
    )  # fmt: skip

    assert refused.value.field == "campaign"
    assert item.campaign == cny


def test_only_a_reward_is_paid_from_a_campaign(manager, installment):
    scenario = compose(manager, products=[])
    with pytest.raises(DomainError, match="reward kind"):
        services.bundle_item_add(
            scenario=scenario, product=installment, actor=manager, campaign=CampaignFactory()
        )


def test_a_published_versions_item_keeps_its_campaign_and_a_new_version_copies_it(
    manager, published, installment
):
    campaign = CampaignFactory()
    item = published.items.get(product=installment)
    item.campaign = campaign

    with pytest.raises(ScenarioImmutable):
        services.bundle_item_save(item=item, actor=manager)
    BundleItem.objects.filter(pk=item.pk).update(campaign=campaign)  # as if set while a draft
    draft = services.scenario_new_version(scenario=published, actor=manager)

    assert draft.items.get(product=installment).campaign == campaign


@pytest.fixture
def rewarded(manager, installment, partner):
    """A published version whose installment carries a 20.00 coupon paid from a campaign."""
    scenario = compose(manager, products=[])
    campaign = CampaignFactory(budget=D("100.00"), starts_at=timezone.now() - timedelta(days=1))
    services.bundle_item_add(
        scenario=scenario, product=installment, actor=manager, reward_kind="coupon",
        reward_amount=D("20.00"), campaign=campaign,
    )  # fmt: skip
    scenario = services.scenario_publish(scenario=scenario, actor=manager, reason="launch")
    participation = services.participation_request(partner=partner, scenario=scenario)
    services.participation_approve(participation=participation, actor=manager)
    return campaign


def rewards(partner) -> list:
    answer = services.offer_quote(partner=partner, scenario_code="travel-finance", event="booking.created",
                                  amount=D("1000.00"))  # fmt: skip
    return [quoted.offer.reward for quoted in answer.offers]


@pytest.mark.parametrize(
    "change",
    [
        {"spent": D("100.00")},  # budget spent
        {"count_cap": 3, "granted": 3},  # as many as the cap
        {"status": "closed"},
        {"status": "pending"},
        {"starts_at": datetime(2025, 1, 1, tzinfo=UTC), "ends_at": datetime(2025, 2, 1, tzinfo=UTC)},  # over
    ],
)
def test_offers_stop_carrying_a_reward_its_campaign_no_longer_pays(partner, rewarded, change):
    assert rewards(partner)[0].amount == D("20.00")

    Campaign.objects.filter(pk=rewarded.pk).update(**change)
    selectors.terms_forget()  # as every campaign service does after commit

    assert rewards(partner) == [None]


def test_a_quote_with_a_campaign_costs_no_query_more(partner, rewarded, django_assert_num_queries):
    rewards(partner)
    selectors.terms_forget()
    # reading the terms again: participation and version, items (with their campaigns joined),
    # segment prices, segments — the four reads of a quote without a campaign
    with django_assert_num_queries(4):
        assert rewards(partner)[0].amount == D("20.00")
    with django_assert_num_queries(0):  # and then cached
        rewards(partner)


def test_terms_forget_replaces_the_epoch(settings, tmp_path):
    from core.epoch import epoch

    settings.API_AUTH_EPOCH_FILE = str(tmp_path / "epoch")
    before = epoch()
    selectors.terms_forget()
    assert epoch() != before


def test_approving_or_closing_a_campaign_forgets_terms_after_commit(
    finance_maker, finance_checker, django_capture_on_commit_callbacks
):
    campaign = create(finance_maker)
    services.campaign_submit(campaign=campaign, actor=finance_maker)
    with django_capture_on_commit_callbacks() as approved:
        services.campaign_approve(campaign=campaign, actor=finance_checker)
    with django_capture_on_commit_callbacks() as closed:
        services.campaign_close(campaign=campaign, actor=finance_maker, reason="Budget moved")

    assert approved == [selectors.terms_forget]
    assert closed == [selectors.terms_forget]
    assert Campaign.objects.get().status == "closed"


def test_a_product_in_another_currency_cannot_take_the_campaign(manager):
    usd_product = ProductFactory(code="usd-loan", currency="USD")
    errors = services.bundle_item_campaign_errors(
        product=usd_product, reward_kind="coupon", campaign=CampaignFactory(currency="CNY")
    )
    assert "campaign" in errors
