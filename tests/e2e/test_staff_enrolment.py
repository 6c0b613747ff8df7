"""Journey: a new staff member enrols their authenticator app through the one-time link, and
reaches the admin; someone holding only the password sees no TOTP secret and no admin."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from .helpers import PASSWORD, enrol_in_browser, log_in, staff_to_enrol

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_new_staff_member_enrols_through_the_link_and_reaches_the_admin(page, screenshot, settings):
    settings.STAFF_MFA_REQUIRED = True
    staff, link = staff_to_enrol()

    secret = enrol_in_browser(page, staff.email, link)
    page.goto("/admin/")
    assert urlparse(page.url).path == "/admin/"
    assert page.locator("#site-name").count() == 1

    # The next login asks for the code from the app just set up.
    with page.expect_navigation():
        page.click("#logout-form button, form[action$='/logout/'] button")
    log_in(page, staff.email, totp_secret=secret, next_url="/admin/")
    assert urlparse(page.url).path == "/admin/"
    screenshot(page, "staff-enrolment")


def test_the_password_alone_shows_no_secret_and_no_admin(page, settings):
    settings.STAFF_MFA_REQUIRED = True
    staff, _link = staff_to_enrol(email="victim@bank.test")

    log_in(page, staff.email, PASSWORD, next_url="/admin/")
    assert "enrolment link" in page.content()
    page.goto("/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    assert "otpauth" not in page.content()
    assert page.locator("#authenticator_secret").count() == 0
