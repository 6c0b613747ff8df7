"""The campaign staff pages: a finance maker drafts and submits, a checker approves (a maker is
refused, superuser or not); spent, remaining and granted shown as money; budget changes
proposed and approved by two people; draft bundle items name a campaign of their currency."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from scenarios import services
from scenarios.models import Campaign, CampaignBudgetChange
from tests.factories import IndustryFactory, StaffFactory
from tests.revenue.rewards import CampaignFactory
from tests.scenarios.test_admin import _item, _scenario_form, staff  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:scenarios_campaign_changelist")


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


def _form(**overrides) -> dict:
    data = {
        "code": "spring-cashback",
        "name": "Spring cashback",
        "name_zh": "春季返现",
        "starts_at_0": "2026-03-01",
        "starts_at_1": "00:00:00",
        "ends_at_0": "2026-06-01",
        "ends_at_1": "00:00:00",
        "currency": "CNY",
        "budget": "50000.00",
        "count_cap": "1000",
        "funded_by": "split",
        "partner_percent": "25",
        "budget_changes-TOTAL_FORMS": "0",
        "budget_changes-INITIAL_FORMS": "0",
        "items-TOTAL_FORMS": "0",
        "items-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_a_finance_maker_drafts_a_campaign_in_both_languages(client, finance_maker):
    client.force_login(finance_maker)

    response = client.post(reverse("admin:scenarios_campaign_add"), _form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = Campaign.objects.get()
    assert (campaign.name_zh, campaign.partner_share, campaign.created_by) == (
        "春季返现",
        D("0.25"),
        finance_maker,
    )
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"budget": "0"}, "budget"),
        ({"partner_percent": "100"}, "partner_percent"),
        ({"ends_at_0": "2026-02-01"}, "ends_at"),
    ],
)
def test_bad_terms_are_named_and_nothing_is_saved(client, finance_maker, overrides, field):
    client.force_login(finance_maker)

    response = client.post(reverse("admin:scenarios_campaign_add"), _form(**overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Campaign.objects.exists()


def test_the_list_shows_budget_spent_remaining_and_granted_as_money(client, finance_maker):
    CampaignFactory(budget=D("50000.00"), spent=D("12345.60"), granted=7, count_cap=10)
    client.force_login(finance_maker)

    page = client.get(CHANGELIST).content.decode()

    assert "50,000.00" in page
    assert "12,345.60" in page
    assert "37,654.40" in page  # remaining
    assert "7 of 10" in page


def test_the_list_costs_the_same_queries_whatever_the_number(client, finance_maker):
    client.force_login(finance_maker)
    CampaignFactory()

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(CHANGELIST).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for _ in range(5):
        CampaignFactory()
    assert queries() == few


def _act(client, action: str, campaign, **extra):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [str(campaign.pk)], **extra}, follow=True
    )


def test_the_maker_is_refused_approval_and_the_checker_approves(client, staff_roles, finance_checker):
    root = StaffFactory(email="root@bank.example", is_superuser=True)
    campaign = services.campaign_create(
        actor=root, code="c1", name="C1", starts_at=CampaignFactory.starts_at, ends_at=CampaignFactory.ends_at,
        budget=D("100.00"),
    )  # fmt: skip
    client.force_login(root)
    _act(client, "submit", campaign)

    refused = _act(client, "approve", campaign).content.decode()
    page = client.get(reverse("admin:scenarios_campaign_change", args=[campaign.pk])).content.decode()
    client.force_login(finance_checker)
    _act(client, "approve", campaign)

    assert "Maker-checker" in refused
    assert "another person approves this campaign" in page
    campaign.refresh_from_db()
    assert (campaign.status, campaign.approved_by) == ("approved", finance_checker)


def test_an_approved_campaigns_budget_is_not_edited_on_its_page(client, finance_maker):
    campaign = CampaignFactory(budget=D("100.00"))
    client.force_login(finance_maker)

    response = client.post(
        reverse("admin:scenarios_campaign_change", args=[campaign.pk]),
        _form(code=campaign.code, name="Renamed", budget="999999.00"),
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.budget) == ("Renamed", D("100.00"))


def test_a_budget_change_is_proposed_and_approved_by_two_people(client, finance_maker, finance_checker):
    campaign = CampaignFactory(budget=D("100.00"), spent=D("40.00"))
    client.force_login(finance_maker)

    response = client.post(
        reverse("admin:scenarios_campaignbudgetchange_add"),
        {"campaign": str(campaign.pk), "budget": "250.00", "count_cap": "", "reason": "Demand"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = CampaignBudgetChange.objects.get()
    too_low = client.post(
        reverse("admin:scenarios_campaignbudgetchange_add"),
        {"campaign": str(campaign.pk), "budget": "10.00", "count_cap": "", "reason": "Cut"},
    )
    client.force_login(finance_checker)
    client.post(
        reverse("admin:scenarios_campaignbudgetchange_changelist"),
        {"action": "approve", "_selected_action": [str(change.pk)]},
    )

    assert "already spent" in too_low.content.decode()
    campaign.refresh_from_db()
    assert campaign.budget == D("250.00")


def test_a_draft_items_campaign_of_another_currency_is_refused_on_the_form(client, staff, installment):  # noqa: F811
    usd = CampaignFactory(currency="USD")
    data = _scenario_form(
        IndustryFactory(code="travel"),
        [_item(installment, 1, reward_kind="coupon", reward_amount="20.00", campaign=str(usd.pk))],
    )

    response = client.post(reverse("admin:scenarios_scenario_add"), data)

    assert response.status_code == 200
    assert "USD" in response.content.decode()


def test_the_campaign_pages_speak_chinese(client, finance_maker):
    CampaignFactory(spent=D("1.00"))
    client.force_login(finance_maker)
    client.cookies["django_language"] = "zh-hans"

    with translation.override("en"):  # the request switches to Chinese: back to English after
        page = client.get(CHANGELIST).content.decode()

    assert "剩余" in page
    assert "已发放" in page
