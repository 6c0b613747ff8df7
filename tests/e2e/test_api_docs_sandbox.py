"""The API docs in a real browser, under the Content-Security-Policy: a signed-in member's
Swagger UI is authorised with the partner's sandbox key (static/js/api-docs.js, no inline
script), and the examples page shows every route with that key and copy buttons."""

from __future__ import annotations

import pytest

from tests.api.factories import api_partner, issue

from .helpers import log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_member_tries_the_api_with_the_sandbox_key(page, screenshot):
    partner = api_partner("skyway-travel")
    sandbox = issue(partner, name="Sandbox", sandbox=True).key
    portal_user(partner, "dev@skyway.test", "developer")
    log_in(page, "dev@skyway.test")

    page.goto("/api/docs/")
    page.wait_for_selector(".opblock-tag")
    page.wait_for_function("() => ui.authSelectors.authorized().get('ApiKey') !== undefined")
    assert page.evaluate("() => ui.authSelectors.authorized().toJS().ApiKey.value") == f"Api-Key {sandbox}"
    screenshot(page, "api-docs-sandbox")

    page.click("text=Examples in curl, Python and Java")
    page.wait_for_selector("[data-testid=route-example]")
    assert sandbox in page.inner_text("#me-curl")
    screenshot(page, "api-examples")
