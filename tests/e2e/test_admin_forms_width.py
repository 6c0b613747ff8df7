"""The staff forms fit a 1366 px screen: no horizontal scrolling on the scenario add page (with
its bundle items) or the agreement add page."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("path", ["/admin/scenarios/scenario/add/", "/admin/revenue/agreement/add/"])
def test_the_add_page_fits_1366_px(browser, live_server, path):
    staff = StaffFactory(email="root@bank.test", is_superuser=True)
    client = Client()
    client.force_login(staff)
    context = browser.new_context(viewport={"width": 1366, "height": 800})
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )
    page = context.new_page()

    page.goto(live_server.url + path)
    if "scenario" in path:
        page.click("#items-group .add-row a")

    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 1366
