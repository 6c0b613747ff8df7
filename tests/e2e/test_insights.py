"""The portal's Insights page in a real browser: a member reaches it from the navigation and
reads the partner's funnel (offers, taken, conversion, gross) with its charts, in English and
Chinese, at a phone's width and a laptop's, with nothing wider than the window."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from partners.selectors import business_today
from revenue.services.funnel import funnel_sales_refresh
from tests.api.factories import api_partner
from tests.insights.data import offer, offers_write, sale
from tests.products.factories import ProductFactory
from tests.scenarios.factories import ScenarioFactory

from .helpers import assert_bank_grade, log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 768}}
HEADINGS = {"en-US": ("Insights", "Offers shown", "Conversion"), "zh-CN": ("洞察", "展示的报价", "转化率")}


@pytest.fixture
def member(db):
    partner = api_partner("skyway-travel")
    scenario = ScenarioFactory(code="travel-finance", name="Travel finance", name_zh="出行金融")
    loan = ProductFactory(code="trip-installment", name="Trip installment", name_zh="旅行分期")
    quoted = timezone.make_aware(datetime.combine(business_today() - timedelta(days=1), time(10)))
    rows = [offer(partner=partner, scenario=scenario, product=loan, quoted_at=quoted) for _ in range(8)]
    offers_write(rows)
    for row in rows[:2]:
        sale(row, product=loan, amount="1234.50", received_at=quoted + timedelta(hours=1))
    funnel_sales_refresh(now=quoted + timedelta(hours=2))
    return portal_user(partner, "owner@skyway.test", "owner")


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_member_reads_the_funnel_at_phone_and_desktop_widths(
    browser, live_server, member, width, locale, screenshot
):
    context = browser.new_context(base_url=live_server.url, locale=locale, viewport=VIEWPORTS[width])
    context.set_default_timeout(45_000)
    page = context.new_page()
    try:
        log_in(page, member.email)
        page.goto("/portal/")
        title, shown, conversion = HEADINGS[locale]
        link = page.locator("nav.mainnav a[href='/portal/insights/']")
        assert link.inner_text() == title
        with page.expect_navigation():
            link.click()  # the navigation scrolls sideways on a phone: the link is still reachable

        assert page.locator("main h1").inner_text() == title
        assert page.get_by_test_id("offers").inner_text() == "8"
        assert page.get_by_test_id("taken").inner_text() == "2"
        assert page.get_by_test_id("conversion").inner_text().startswith("25.00")
        assert "2,469.00" in page.get_by_test_id("gross").inner_text()
        assert page.locator("figure.chart svg").count() == 2
        assert shown in page.locator("#funnel-rows thead").inner_text()
        assert conversion in page.locator("#funnel-rows thead").inner_text()

        page.select_option("select[name=group_by]", "day")
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert page.locator("#funnel-rows tbody tr").count() == 1
        assert_bank_grade(page, context=f"insights-{width}-{locale}", content_names=("Travel finance",))
        screenshot(page, f"portal-insights-{width}-{locale}")
    finally:
        context.close()
