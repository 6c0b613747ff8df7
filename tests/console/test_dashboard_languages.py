"""The staff dashboard and funnel name industries and products in the user's language."""

from __future__ import annotations

import pytest

from partners.models import Industry
from tests.console.test_dashboard import clock, ecosystem  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_the_dashboard_names_industries_in_the_user_s_language(staff_client, ecosystem):  # noqa: F811
    Industry.objects.filter(code="travel").update(name_zh="旅游出行")
    Industry.objects.filter(code="community").update(name_zh="")  # no Chinese: the English

    chinese = staff_client.get("/staff/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = staff_client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<td>旅游出行</td>" in chinese
    assert "<td>Travel</td>" not in chinese
    assert "<td>Community</td>" in chinese
    assert "<td>Travel</td>" in english
    assert "旅游出行" not in english
