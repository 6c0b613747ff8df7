"""The API documentation works under the Content-Security-Policy (the conftest fails a test on
any violation Chromium reports): Swagger UI and Redoc render the schema from the packaged
assets, and the policy is on the page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_renders_the_open_api_under_the_policy(page, screenshot):
    response = page.goto("/api/docs/")

    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Finance+N Open API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")
    screenshot(page, "csp-swagger")


def test_redoc_renders_the_open_api_under_the_policy(page, screenshot, csp_violations):
    page.goto("/api/redoc/")

    page.wait_for_selector("h1:has-text('Finance+N Open API')")
    page.wait_for_selector("[data-section-id]")
    screenshot(page, "csp-redoc")
    # Redoc's bundle always asks Redocly's CDN for its footer logo (and hides it when refused):
    # the policy refuses it, so nothing loads from a CDN. That refusal, and only it, is expected.
    page.wait_for_timeout(200)  # console messages arrive asynchronously
    logo = [v for v in csp_violations if "cdn.redoc.ly" in v and "img-src" in v]
    assert logo
    assert len(logo) == len(csp_violations)
    csp_violations.clear()


def test_an_injected_inline_script_does_not_run_and_is_reported(page, csp_violations):
    page.goto("/accounts/login/")

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
        }"""
    )

    assert page.evaluate("window.injected") is None
    page.wait_for_timeout(200)  # the console message arrives asynchronously
    assert any("script-src" in violation for violation in csp_violations)
    csp_violations.clear()  # provoked on purpose: the check itself is what this test shows


STAFF_PAGES = [
    "/staff/",
    "/staff/funnel/",
    "/staff/risk/",
    "/staff/inbox/",
    "/staff/jobs/",
    "/staff/audit/",
    "/admin/",
    "/admin/partners/partner/",
    "/admin/partners/partner/add/",
    "/admin/partners/partner/export/",
    "/admin/partners/partner/import/",
    "/admin/revenue/statement/",
    "/admin/django_celery_beat/periodictask/add/",
]


def test_the_staff_console_and_the_admin_work_under_the_policy(page, settings, screenshot):
    from tests.e2e.helpers import log_in, staff_with_totp

    settings.STAFF_MFA_REQUIRED = True
    user, secret = staff_with_totp()
    log_in(page, user.email, totp_secret=secret)

    for url in STAFF_PAGES:
        response = page.goto(url)
        assert response.status == 200, url
        assert "content-security-policy" in response.headers, url
    screenshot(page, "csp-admin")


def test_the_copy_button_of_a_new_key_works_without_inline_code(page, screenshot):
    from tests.api.factories import verified_documents
    from tests.e2e.helpers import log_in, portal_user
    from tests.factories import PartnerFactory

    partner = PartnerFactory(slug="csp-travel", display_name="CSP Travel")
    verified_documents(partner)
    owner = portal_user(partner, "owner@csp-travel.test", "owner")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, owner.email)

    page.goto("/portal/keys/new/")
    page.fill("input[name=name]", "Booking server")
    page.select_option("select[name=channel]", "erp")
    page.check("input[name=scopes][value=read]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    key = page.locator("[data-testid=new-key]").inner_text().strip()
    button = page.locator("button[data-copy=new-key]")
    button.click()

    page.wait_for_function(
        "() => document.querySelector('button[data-copy=new-key]').textContent === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == key
    screenshot(page, "csp-key-copied")
