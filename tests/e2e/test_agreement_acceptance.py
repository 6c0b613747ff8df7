"""Journey: the bank sends an agreement; the partner's finance member sees "1 agreement awaits
your acceptance" on the dashboard, reads the terms in words with the worked example, ticks the
box and accepts — at a phone's width (390 px) and a laptop's (1366 px), in English and Chinese.
No page scrolls sideways or shows a program's code or money with more than two decimals."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from revenue import services
from revenue.models import Agreement
from tests.api.factories import api_partner
from tests.revenue.factories import finance_staff, join, scenario_with_products

from .helpers import bank_grade_problems, log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 768}}
LANGUAGES = {"en-US": "en", "zh-CN": "zh-hans"}


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


@pytest.fixture
def sent_agreement(staff_roles):
    partner = api_partner("skyway-travel")
    scenario = scenario_with_products()[0]
    join(partner, scenario)
    maker = finance_staff(staff_roles, "maker@bank.test", "Finance makers")
    checker = finance_staff(staff_roles, "checker@bank.test", "Finance checkers")
    agreement = services.agreement_create(
        actor=maker,
        partner=partner,
        scenario=scenario,
        model="tiered",
        terms={"tiers": [{"up_to": "20000.00", "rate": "0.15"}, {"up_to": None, "rate": "0.2"}]},
        cycle="monthly",
        effective_from=date(2026, 1, 1),
    )
    services.agreement_submit(agreement=agreement, actor=maker)
    return services.agreement_approve(agreement=agreement, actor=checker)


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_finance_member_accepts_an_agreement_in_the_portal(
    context_at, sent_agreement, screenshot, width, locale
):
    fiona = portal_user(sent_agreement.partner, "fiona@skyway.test", "finance")
    scenario = sent_agreement.scenario
    names = [scenario.name, scenario.name_zh, sent_agreement.partner.display_name]
    with translation.override(LANGUAGES[locale]):
        waiting = translation.ngettext(
            "%(counter)s agreement awaits your acceptance", "%(counter)s agreements await your acceptance", 1
        ) % {"counter": 1}
        active = str(Agreement.Status.ACTIVE.label)
    page = context_at(VIEWPORTS[width], locale)

    log_in(page, fiona.email)
    banner = page.locator("#agreements-waiting a")
    assert banner.inner_text() == waiting
    with page.expect_navigation():
        banner.click()
    assert bank_grade_problems(page, content_names=names) == []
    with page.expect_navigation():
        page.click(f"#agreement-{sent_agreement.pk} a")

    # 40,000.00 of sales (every band reached): 20,000.00 at 15 % and 20,000.00 at 20 %.
    example = page.locator("#worked-example").inner_text()
    for figure in ("40,000.00", "3,000.00", "4,000.00", "7,000.00"):
        assert figure in example
    assert bank_grade_problems(page, content_names=names) == []
    screenshot(page, f"agreement-before-accepting-{width}-{locale}")

    page.check("#accept-form input[name=confirm]")
    with page.expect_navigation():
        page.click("#accept-form button[type=submit]")

    assert page.locator("[data-testid=agreement-status]").inner_text() == active
    assert fiona.email in page.locator("[data-testid=acceptance-record]").inner_text()
    assert page.locator("#accept-form").count() == 0
    assert bank_grade_problems(page, content_names=names) == []
    screenshot(page, f"agreement-accepted-{width}-{locale}")
    sent_agreement.refresh_from_db()
    assert (sent_agreement.status, sent_agreement.accepted_by_id) == ("active", fiona.pk)
