"""Journey: a finance maker follows a transaction import on its page. The bar moves to 100 % by
itself (htmx polling, htmx served from our static files under the policy) without a reload, and
stops asking once the import is done; in English and in Chinese."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from revenue.models import TransactionImport
from revenue.services.imports import transaction_import_run
from tests.revenue.factories import join, scenario_with_products

from .helpers import PASSWORD, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = "\n".join(
    f"e2e-{n},travel-finance,trip-installment,sale,10.00,CNY,2026-01-15T10:00:00+08:00," for n in range(50)
)
FILE = ("external_id,scenario,product,kind,amount,currency,occurred_at,customer_id\n" + ROWS + "\n").encode()


@pytest.mark.parametrize(
    ("locale", "queued", "imported"), [("en-US", "Queued", "Imported"), ("zh-CN", "排队中", "已导入")]
)
def test_an_import_reaches_100_percent_on_its_page_without_a_reload(
    browser, live_server, csp_violations, settings, tmp_path, screenshot, locale, queued, imported
):
    from allauth.account.models import EmailAddress

    from tests.factories import PartnerFactory, StaffFactory

    settings.MEDIA_ROOT = tmp_path
    partner = PartnerFactory(slug="skyway", display_name="Skyway Travel")
    scenario, _products = scenario_with_products()
    join(partner, scenario)
    maker = StaffFactory(email="maker@bank.test", is_superuser=True, password=PASSWORD)
    EmailAddress.objects.create(user=maker, email=maker.email, verified=True, primary=True)
    # Uploaded and waiting for a worker (the upload page queues it exactly so).
    job = TransactionImport.objects.create(
        partner=partner, created_by=maker, file=SimpleUploadedFile("june.csv", FILE)
    )

    context = browser.new_context(base_url=live_server.url, locale=locale)
    context.set_default_timeout(45_000)
    page = context.new_page()
    page.on("console", lambda m: ("Refused to" in m.text) and csp_violations.append(m.text))
    try:
        log_in(page, maker.email)
        page.goto(f"/staff/jobs/imports/{job.pk}/")
        progress = page.locator("#job-progress")
        assert queued in progress.inner_text()
        assert progress.locator("progress").get_attribute("value") == "0"
        page.evaluate("window.notReloaded = true")

        transaction_import_run(import_id=job.pk)  # what the worker does

        # (a locator wait: a predicate string would be evaluated, which the policy refuses)
        expect(page.locator("#job-progress progress")).to_have_attribute("value", "100", timeout=45_000)
        assert page.evaluate("window.notReloaded") is True  # the fragment came in, no reload
        text = progress.inner_text()
        assert imported in text
        assert "100 %" in text
        assert progress.get_attribute("hx-trigger") is None  # done: polling stopped
        screenshot(page, f"import-progress-{locale}")
    finally:
        context.close()
