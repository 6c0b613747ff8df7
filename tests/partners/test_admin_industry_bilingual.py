"""Staff write an industry's name and description in both languages."""

from __future__ import annotations

import pytest

from partners.models import Industry

pytestmark = pytest.mark.django_db


def test_the_industry_form_saves_both_languages(client, manager):
    client.force_login(manager)
    data = {
        "code": "wedding",
        "name": "Wedding",
        "name_zh": "婚庆",
        "description": "Wedding planners and venues.",
        "description_zh": "婚礼策划与场地。",
        "position": "3",
        "is_active": "on",
    }

    response = client.post("/admin/partners/industry/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    industry = Industry.objects.get(code="wedding")
    assert (industry.name, industry.name_zh) == ("Wedding", "婚庆")
    assert (industry.description, industry.description_zh) == (
        "Wedding planners and venues.",
        "婚礼策划与场地。",
    )
