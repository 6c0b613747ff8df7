"""Layout: the portal and the console at a phone's width (390 px) and a laptop's (1366 px), in
both languages. No page scrolls sideways, the portal's navigation stays on one line at 1366 px,
allauth's pages (sign-up, log-in, two-factor) sit in the portal's layout, and the visual defects
once seen stay gone. Screenshots go to var/screenshots/ (kept by CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.factories import api_partner, issue
from tests.scenarios.factories import ParticipationFactory

from .helpers import PASSWORD, log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
VIEWPORTS = {"390": PHONE, "1366": LAPTOP}

PORTAL_PAGES = [
    "/portal/",
    "/portal/scenarios/",
    "/portal/keys/",
    "/portal/webhooks/",
    "/portal/statements/",
    "/portal/disputes/",
    "/portal/transactions/",
    "/portal/insights/",
    "/portal/team/",
    "/portal/notifications/",
    "/portal/notifications/preferences/",
    "/portal/getting-started/",
    "/accounts/email/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/activate/",
]
CONSOLE_PAGES = [
    "/staff/",
    "/staff/funnel/",
    "/staff/risk/",
    "/staff/inbox/",
    "/staff/jobs/",
    "/staff/audit/",
    "/staff/notifications/",
]
ANONYMOUS_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/no-such-page/",
]


def _overflow(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


@pytest.fixture
def context_at(browser, live_server, csp_violations):
    contexts = []

    def make(viewport: dict, locale: str = "en-US"):
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
def live_partner(db):
    """A partner live in a scenario, with a key: every portal page has something to show."""
    partner = api_partner("skyway-travel")
    ParticipationFactory(partner=partner)
    issue(partner)
    return portal_user(partner, "owner@skyway.test", "owner")


@pytest.mark.parametrize("width", VIEWPORTS)
@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_portal_pages_fit_the_window(context_at, live_partner, width, locale):
    page = context_at(VIEWPORTS[width], locale)
    log_in(page, live_partner.email)

    wide = {}
    for path in PORTAL_PAGES:
        page.goto(path)
        wide[path] = _overflow(page)
        _shot(page, f"portal-{_slug(path)}-{width}-{locale}")
    assert {path: px for path, px in wide.items() if px > 0} == {}

    # allauth's pages are the portal's: its top bar and main column, with the account menu.
    page.goto("/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:  # allauth asks for the password again before set-up
        assert page.locator("main.content input[name=password]").count() == 1
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    assert page.locator("header.topbar").count() == 1
    assert page.locator("main.content #authenticator_secret").count() == 1
    # The secret is shown whole (it was cut off by a narrow field).
    secret = page.locator("#authenticator_secret")
    assert secret.evaluate("e => e.scrollWidth <= e.clientWidth")
    _shot(page, f"portal-mfa-setup-{width}-{locale}")


def test_the_portal_navigation_is_one_line_at_1366(context_at, live_partner):
    # A real address is longer than the fixtures' (the navigation wrapped with one like it).
    partner = live_partner.memberships.get().partner
    user = portal_user(partner, "operations.manager@skyway-travel-holidays.example.com", "owner")
    for locale in ("en-US", "zh-CN"):
        page = context_at(LAPTOP, locale)
        log_in(page, user.email)
        page.goto("/portal/")
        items = page.locator("header.topbar a, header.topbar button, header.topbar select")
        boxes = items.evaluate_all(
            """els => els.filter(e => e.offsetParent).map(e => {
                const box = e.getBoundingClientRect();
                return [e.textContent.trim(), Math.round(box.top), box.height, parseFloat(getComputedStyle(e).lineHeight)];
            })"""
        )
        tops = [top for _text, top, _height, _line in boxes]
        assert max(tops) - min(tops) < 12, boxes  # one row
        assert [
            text for text, _top, height, line in boxes if height >= 1.8 * line
        ] == []  # no label on two lines
        nav = page.locator("nav.mainnav")
        assert nav.evaluate("e => e.scrollWidth <= e.clientWidth")  # no link scrolled out of sight
        _shot(page, f"portal-nav-1366-{locale}")


@pytest.mark.parametrize("width", VIEWPORTS)
def test_pages_for_visitors_fit_and_use_the_portal_layout(context_at, width, db):
    page = context_at(VIEWPORTS[width])

    for path in ANONYMOUS_PAGES:
        page.goto(path)
        assert _overflow(page) <= 0, path
        assert page.locator("header.topbar .brand").count() == 1, path
        _shot(page, f"visitor-{_slug(path)}-{width}")
    page.goto("/accounts/signup/")
    assert page.locator("main.content form input[name=email]").count() == 1


@pytest.fixture
def superuser(db):
    from allauth.account.models import EmailAddress

    from tests.factories import StaffFactory

    user = StaffFactory(email="root@bank.test", is_superuser=True, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.mark.parametrize("width", VIEWPORTS)
def test_console_pages_fit_the_window(context_at, superuser, live_partner, width):
    page = context_at(VIEWPORTS[width])
    log_in(page, superuser.email)

    wide = {}
    for path in CONSOLE_PAGES:
        page.goto(path)
        wide[path] = _overflow(page)
        _shot(page, f"console-{_slug(path)}-{width}")
    assert {path: px for path, px in wide.items() if px > 0} == {}

    # The console's tabs have no list bullets.
    page.goto("/staff/inbox/")
    bullets = page.locator(".console-nav li").evaluate_all(
        "els => els.map(e => getComputedStyle(e).listStyleType)"
    )
    assert set(bullets) == {"none"}
    # "All in the admin" reads against its heading (it was blue on blue).
    link = page.locator("#inbox-partner h2 a, section.module h2 a").first
    colours = link.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e.closest('h2')).backgroundColor]"
    )
    assert colours[0] != colours[1]
    assert _contrast(*colours) >= 4.5


def _contrast(foreground: str, background: str) -> float:
    def luminance(css: str) -> float:
        parts = [float(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
        linear = [
            (c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_a_refused_viewer_reads_the_reason_in_the_portal_layout(context_at, live_partner, width):
    partner = live_partner.memberships.get().partner
    viewer = portal_user(partner, "viewer@skyway.test", "viewer")
    page = context_at(VIEWPORTS[width])
    log_in(page, viewer.email)

    assert page.locator("#next-steps a[href='/portal/keys/new/']").count() == 0
    response = page.goto("/portal/keys/new/")

    assert response.status == 403
    assert page.locator("header.topbar .brand").count() == 1
    assert "Your role (Viewer) cannot create, rotate or revoke API keys." in page.locator("main").inner_text()
    assert page.locator("main a[href='/portal/']").count() == 1  # the way back
    assert _overflow(page) <= 0
    _shot(page, f"portal-403-viewer-{width}")
