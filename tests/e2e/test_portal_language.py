"""Journey 3: a partner's owner switches the portal to Chinese; every portal page follows."""

from __future__ import annotations

import pytest

from tests.api.factories import api_partner

from .helpers import log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_owner_switches_the_portal_to_chinese(page, screenshot):
    partner = api_partner("skyway-travel")
    owner = portal_user(partner, "owner@skyway.test", "owner")

    log_in(page, owner.email)
    assert page.locator("main h1").inner_text() == "Dashboard"
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")

    assert page.locator("main h1").inner_text() == "仪表板"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    nav = page.locator("nav.mainnav").inner_text()
    for label in ("场景", "API 密钥", "对账单", "协议", "洞察", "团队"):
        assert label in nav
    assert page.locator("[data-testid=getting-started]").inner_text() == "快速入门"
    page.click("nav >> text=API 密钥")
    assert page.locator("main h1").inner_text() == "API 密钥"
    assert "还没有 API 密钥。" in page.locator("main").inner_text()
    page.click("nav >> text=团队")
    assert page.locator("main h1").inner_text() == "团队"
    assert "发送邀请" in page.locator("main").inner_text()
    page.click("nav >> text=仪表板")
    assert "最近 30 天调用量" in page.locator("main").inner_text()
    screenshot(page, "journey-portal-zh")
