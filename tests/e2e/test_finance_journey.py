"""Journey 2: a finance member logs in, downloads a statement and disputes one of its lines."""

from __future__ import annotations

from datetime import date

import pytest

from revenue import services
from revenue.models import Dispute, Statement
from tests.factories import PartnerFactory
from tests.revenue.factories import (
    agreement_in_force,
    finance_staff,
    item,
    join,
    record,
    scenario_with_products,
)

from .helpers import log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_finance_member_downloads_a_statement_and_disputes_a_line(page, screenshot, staff_roles):
    partner = PartnerFactory(slug="skyway", display_name="Skyway Travel")
    scenario, _products = scenario_with_products()
    join(partner, scenario)
    agreement_in_force(
        maker=finance_staff(staff_roles, "maker@bank.test", "Finance makers"),
        checker=finance_staff(staff_roles, "checker@bank.test", "Finance checkers"),
        partner=partner,
        scenario=scenario,
    )
    record(partner, item(amount="100.00"), item(product="trip-cover", amount="40.00"))
    # Settled inline (the caller-settles option): in this transactional browser test on
    # PostgreSQL the eager Celery chain left no statement; the scheduled path has its own tests.
    services.settlement_start(through=date(2026, 1, 31), trigger="command", dispatch=False)
    statement = Statement.objects.get(partner=partner)
    finance = portal_user(partner, "fiona@skyway.test", "finance")

    log_in(page, finance.email)
    page.click("nav >> text=Statements")
    page.click(f"a[href='/portal/statements/{statement.pk}/']")
    with page.expect_download() as download:
        page.click("#download-csv")
    csv = download.value.path().read_text(encoding="utf-8-sig")
    assert "trip-cover" in csv
    assert download.value.suggested_filename.endswith(".csv")

    line = statement.lines.get(product__code="trip-cover")
    page.click(f"#line-{line.pk} summary")
    page.fill(f"#reason-{line.pk}", "Our ledger shows 2 policies sold, not 1.")
    with page.expect_navigation():
        page.click(f"#line-{line.pk} button[type=submit]")

    assert page.locator(f"#line-{line.pk}").inner_text().find("Disputed") >= 0
    dispute = Dispute.objects.get()
    assert dispute.line == line
    assert dispute.raised_by == finance
    with page.expect_navigation():
        page.click("main a[href='/portal/disputes/']")
    assert page.locator("main h1").inner_text() == "Disputes"
    assert "Our ledger shows 2 policies sold, not 1." in page.locator("main").inner_text()
    screenshot(page, "journey-finance-dispute")
