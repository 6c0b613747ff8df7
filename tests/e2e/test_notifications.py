"""The notification centre in the browser: the bell's count, the list, mark one read (the
count goes down), open the object; at a phone's and a laptop's width, in English and Chinese."""

from __future__ import annotations

import pytest
from django.utils import translation

from partners.notifications import notify
from tests.api.factories import api_partner

from .helpers import log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 768}}
WORDS = {
    "en-US": {"title": "Notifications", "message": "Your statement #41", "mark": "Mark read"},
    "zh-CN": {"title": "通知", "message": "对账单 #41", "mark": "标为已读"},
}


@pytest.fixture
def context_at(browser, live_server, csp_violations):
    contexts = []

    def make(viewport: dict, locale: str):
        context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport)
        context.set_default_timeout(45_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console", lambda m: "Refused to" in m.text and csp_violations.append(f"{page.url}: {m.text}")
        )
        return page

    yield make
    for context in contexts:
        context.close()
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations), pytrace=False)


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("locale", WORDS)
def test_the_bell_the_list_and_mark_read(context_at, width, locale, screenshot):
    partner = api_partner("skyway-travel")
    owner = portal_user(partner, "owner@skyway.test", "owner")
    # Written in English: each reader reads it in their own language.
    with translation.override("en"):
        notify(
            kind="statement.ready",
            partner=partner,
            params={"statement": "#41", "period": "2026-10-01 – 2026-10-31", "amount": "1,234.50 CNY"},
        )
        notify(kind="quota.80", partner=partner, params={"used": "800,000", "quota": "1,000,000"})
    words = WORDS[locale]

    page = context_at(VIEWPORTS[width], locale)
    log_in(page, owner.email)
    bell = page.locator("[data-testid=bell]")
    assert bell.is_visible()
    assert page.locator("[data-testid=bell-count]").inner_text() == "2"

    with page.expect_navigation():
        bell.click()
    assert page.locator("main h1").inner_text() == words["title"]
    notices = page.locator("[data-testid=notice]")
    assert notices.count() == 2
    assert words["message"] in notices.nth(1).inner_text()
    assert "1,234.50 CNY" in notices.nth(1).inner_text()
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 0

    with page.expect_navigation():
        notices.nth(1).locator("[data-testid=mark-read]").click()
    assert page.locator("[data-testid=bell-count]").inner_text() == "1"
    assert page.locator("[data-testid=notice].unread").count() == 1
    assert page.locator("[data-testid=notice]").nth(1).locator("[data-testid=mark-read]").count() == 0
    screenshot(page, f"notifications-{width}-{locale}")

    # Opening one marks it read and goes to what it is about.
    with page.expect_navigation():
        page.locator("[data-testid=notice]").first.locator("button[name=open]").click()
    assert page.url.endswith("/portal/keys/")
    assert page.locator("[data-testid=bell-count]").count() == 0
