"""Staff write a scenario's name, description and data-use declaration in both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scenarios import services
from scenarios.models import Scenario
from tests.factories import IndustryFactory
from tests.scenarios.factories import ScenarioFactory
from tests.scenarios.test_admin import _item, _scenario_form, staff  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

CHINESE = {
    "name_zh": "旅游+金融",
    "description_zh": "旅游套餐结账时分期付款。",
    "data_shared_zh": "订单金额与客户类别。",
    "data_purpose_zh": "用于为分期定价。",
}


def test_the_scenario_form_saves_both_languages(client, staff, installment):  # noqa: F811
    data = _scenario_form(IndustryFactory(code="travel"), [_item(installment, 1)], **CHINESE)

    response = client.post(reverse("admin:scenarios_scenario_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    scenario = Scenario.objects.get(code="travel-finance")
    assert {field: getattr(scenario, field) for field in CHINESE} == CHINESE
    assert (scenario.name, scenario.data_purpose) == ("Travel+Finance", "To price the offers.")


def test_a_new_version_and_a_clone_keep_the_chinese(staff):  # noqa: F811
    published = ScenarioFactory(code="travel-finance", status="published", **CHINESE)

    next_version = services.scenario_new_version(scenario=published, actor=staff)
    clone = services.scenario_clone(scenario=published, actor=staff, code="holiday-finance")

    assert {field: getattr(next_version, field) for field in CHINESE} == CHINESE
    assert {field: getattr(clone, field) for field in CHINESE} == CHINESE
