"""Journey: the bank invites a partner to a scenario; its owner accepts in the portal; the bank
publishes version 2; the owner sees it announced, reads what changed side by side and moves.
At a phone's width (390 px) and a laptop's (1366 px), in English and Chinese; no page is wider
than the window."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from scenarios import services
from scenarios.models import Participation
from tests.api.factories import api_partner
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ScenarioFactory

from .helpers import log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 768}}
LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}
# What the journey reads, per language.
WORDS = {
    "en": {
        "accept": "Accept the invitation",
        "published": "Version 2 of this scenario is published",
        "moved": "Moved to version 2.",
    },
    "zh-hans": {"published": "此场景的版本 2 已发布", "moved": "已迁移至版本 2。"},
}


def _overflow(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


@pytest.fixture
def journey_page(browser, live_server, csp_violations, request):
    width, language = request.param
    context = browser.new_context(
        base_url=live_server.url, locale=LANGUAGES[language], viewport=WIDTHS[width]
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    context.set_default_timeout(45_000)
    page = context.new_page()
    page.on("console", lambda m: "Refused to" in m.text and csp_violations.append(f"{page.url}: {m.text}"))
    yield page, width, language
    context.close()


@pytest.mark.parametrize(
    "journey_page",
    [(w, lang) for w in WIDTHS for lang in LANGUAGES],
    indirect=True,
    ids=lambda p: "-".join(p),
)
def test_accept_an_invitation_then_read_the_new_version_and_move(journey_page, screenshot):
    page, width, language = journey_page
    words = WORDS[language]
    partner = api_partner("skyway-travel")
    owner = portal_user(partner, "owner@skyway.test", "owner")
    loan = ProductFactory(code="trip-installment", name="Trip installments", name_zh="旅行分期")
    v1 = ScenarioFactory(
        code="travel-finance", name="Travel finance", name_zh="旅行金融", industry=partner.industry
    )
    BundleItemFactory(scenario=v1, product=loan, position=1, rate_adjustment=D("-0.010000"))
    services.participation_invite(partner=partner, scenario=v1, actor=None, note="Welcome")

    log_in(page, owner.email)
    assert page.locator('[data-testid="scenario-invitations"]').count() == 1
    with page.expect_navigation():
        page.click('[data-testid="scenario-invitations"] a')
    with page.expect_navigation():
        page.click('[data-testid="accept-invitation"]')
    assert Participation.objects.get(partner=partner).status == "active"
    assert _overflow(page) <= 0

    v2 = ScenarioFactory(
        code="travel-finance", version=2, name="Travel finance", name_zh="旅行金融", industry=partner.industry
    )
    BundleItemFactory(
        scenario=v2,
        product=loan,
        position=1,
        rate_adjustment=D("-0.030000"),
        reward_kind="cashback",
        reward_amount=D("80.00"),
    )
    BundleItemFactory(scenario=v2, product=ProductFactory(code="trip-pay", category="payment"), position=2)

    page.reload()
    assert words["published"] in page.locator('[data-testid="new-version"]').inner_text()
    with page.expect_navigation():
        page.click('[data-testid="see-changes"]')
    assert page.locator('[data-testid="diff-added"]').count() == 1
    changed = page.locator('[data-testid="diff-changed"]').inner_text()
    assert "-3.00" in changed
    assert "80.00" in changed
    assert _overflow(page) <= 0, f"the changes page is wider than {width} px"
    screenshot(page, f"journey-scenario-move-{width}-{language}")

    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click('[data-testid="move"]')

    moved = Participation.objects.get(partner=partner, status="active")
    assert (moved.scenario, moved.moved_from.status) == (v2, "ended")
    assert words["moved"] in page.locator("#history").inner_text()
    assert page.locator('[data-testid="new-version"]').count() == 0
    assert _overflow(page) <= 0
