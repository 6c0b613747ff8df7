"""Content in the user's language: the scenario catalog, the scenario page and the dashboard show
the Chinese names, descriptions and data-use declaration in the Chinese UI, the English in the
English UI, and the English when the Chinese was left blank."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from revenue import services
from scenarios.models import Scenario
from tests.factories import IndustryFactory
from tests.products.factories import ProductFactory
from tests.revenue.factories import (
    agreement_in_force,
    finance_staff,
    item,
    join,
    record,
    scenario_with_products,
)
from tests.scenarios.factories import BundleItemFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def bilingual_bundle(acme):
    scenario = ScenarioFactory(
        code="holiday-finance",
        name="Holiday finance",
        name_zh="假日金融",
        description="Pay for the holiday in installments.",
        description_zh="假日旅游分期付款。",
        data_shared="The booking amount.",
        data_shared_zh="订单金额。",
        data_purpose="To price the installments.",
        data_purpose_zh="用于为分期定价。",
        industry=IndustryFactory(code="leisure", name="Leisure", name_zh="休闲娱乐"),
    )
    product = ProductFactory(
        code="holiday-installment",
        name="Holiday installments",
        name_zh="旅游分期",
        description="Monthly installments for a trip.",
        description_zh="旅游费用按月分期。",
    )
    BundleItemFactory(scenario=scenario, product=product, reward_kind="")
    return scenario


ENGLISH_TEXTS = ["Holiday finance", "Pay for the holiday in installments.", "Leisure", "Holiday installments"]
CHINESE_TEXTS = ["假日金融", "假日旅游分期付款。", "休闲娱乐", "旅游分期"]


def test_the_catalog_shows_chinese_content_in_the_chinese_ui(client, alice, bilingual_bundle):
    client.force_login(alice)

    page = client.get(reverse("portal:scenarios"), **CHINESE).content.decode()

    assert [text in page for text in CHINESE_TEXTS] == [True] * 4
    assert [text in page for text in ENGLISH_TEXTS] == [False] * 4


def test_the_catalog_shows_english_content_in_the_english_ui(client, alice, bilingual_bundle):
    client.force_login(alice)

    page = client.get(reverse("portal:scenarios"), **ENGLISH).content.decode()

    assert [text in page for text in ENGLISH_TEXTS] == [True] * 4
    assert [text in page for text in CHINESE_TEXTS] == [False] * 4


def test_the_scenario_page_shows_the_data_use_declaration_in_the_user_s_language(
    client, alice, bilingual_bundle
):
    client.force_login(alice)
    url = reverse("portal:scenario", args=["holiday-finance"])

    chinese = client.get(url, **CHINESE).content.decode()
    english = client.get(url, **ENGLISH).content.decode()

    for text in ("订单金额。", "用于为分期定价。", "旅游费用按月分期。", "假日金融"):
        assert text in chinese
        assert text not in english
    for text in ("The booking amount.", "To price the installments.", "Monthly installments for a trip."):
        assert text in english
        assert text not in chinese


def test_blank_chinese_falls_back_to_the_english(client, alice, bilingual_bundle):
    Scenario.objects.filter(pk=bilingual_bundle.pk).update(name_zh="", data_purpose_zh="  ")
    client.force_login(alice)

    page = client.get(reverse("portal:scenario", args=["holiday-finance"]), **CHINESE).content.decode()

    assert "Holiday finance" in page
    assert "To price the installments." in page
    assert "订单金额。" in page  # the Chinese that was written still shows


def test_the_dashboard_names_the_statement_s_scenario_in_the_user_s_language(
    client, staff_roles, acme, fiona
):
    maker = finance_staff(staff_roles, "maker@bank.test", "Finance makers")
    checker = finance_staff(staff_roles, "checker@bank.test", "Finance checkers")
    scenario, _products = scenario_with_products()
    Scenario.objects.filter(pk=scenario.pk).update(name="Trips and finance", name_zh="出行金融")
    join(acme, scenario)
    agreement_in_force(maker=maker, checker=checker, partner=acme, scenario=scenario)
    record(acme, item(amount="100.00"))
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    client.force_login(fiona)

    chinese = client.get(reverse("portal:dashboard"), **CHINESE).content.decode()
    english = client.get(reverse("portal:dashboard"), **ENGLISH).content.decode()

    assert "出行金融" in chinese
    assert "Trips and finance" not in chinese
    assert "Trips and finance" in english
    assert "出行金融" not in english
