"""Journey 1: a company signs up, verifies its e-mail, completes the wizard; while its
application is under review its developers work in the sandbox (a sandbox key, offers and
transactions of a published scenario of its industry, a simulated settlement); staff (logged in
with an authenticator code) approve it in the admin; the owner creates a live API key, the key
calls GET /api/v1/me/, the dashboard shows the call, and no sandbox row is seen live.

Staff log in through the real login page and pass a TOTP code computed with the same algorithm
(RFC 6238) from the authenticator's secret that the test gave them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from partners import services
from partners.models import Partner, PartnerDocument
from revenue.models import SandboxTransaction, Transaction
from scenarios.services import offer_log_flush
from tests.factories import IndustryFactory, StaffFactory, _credit_code
from tests.partners.factories import PDF
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ScenarioFactory

from .helpers import PASSWORD, confirmation_link, log_in, staff_with_totp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(45_000)
    yield context.new_page()
    context.close()


def admin_action(page, partner: Partner, action: str) -> None:
    page.goto("/admin/partners/partner/")
    page.check(f"input[name=_selected_action][value='{partner.pk}']")
    page.select_option("select[name=action]", action)
    with page.expect_navigation():
        page.click("button[name=index]")
    with page.expect_navigation():
        page.click("input[name=confirm]")


def test_a_company_signs_up_is_approved_and_makes_its_first_api_call(page, staff_page, screenshot, settings):
    settings.STAFF_MFA_REQUIRED = True
    industry = IndustryFactory(code="travel", name="Travel")
    # A published scenario of the industry, which the new partner has not joined.
    scenario = ScenarioFactory(code="trip-finance", industry=industry)
    BundleItemFactory(
        scenario=scenario, product=ProductFactory(code="trip-installment", category="installment")
    )
    staff, secret = staff_with_totp()

    # Sign up and verify the e-mail address from the outbox.
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "owner@sunny-trips.test")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    link = urlparse(confirmation_link("owner@sunny-trips.test")).path
    page.goto(link)
    with page.expect_navigation():
        page.click("main form button[type=submit]")

    # The onboarding wizard.
    assert page.url.endswith("/portal/apply/")
    page.fill("input[name=legal_name]", "Sunny Trips Co., Ltd.")
    page.fill("input[name=display_name]", "Sunny Trips")
    page.fill("input[name=credit_code]", _credit_code(777))
    page.select_option("select[name=industry]", str(industry.pk))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.fill("input[name=contact_name]", "Sunny Owner")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    for document_type in PartnerDocument.REQUIRED_TYPES:
        page.select_option("select[name=document_type]", document_type)
        page.set_input_files(
            "input[name=file]", files=[{"name": "scan.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    page.goto("/portal/apply/review/")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("[data-testid=application-status]").inner_text() == "Submitted"
    partner = Partner.objects.get(display_name="Sunny Trips")

    # Sandbox first: under review, the owner creates a sandbox key and integrates against it.
    page.goto("/portal/keys/sandbox/new/")
    page.fill("input[name=name]", "Integration tests")
    for scope in ("read", "offers", "transactions"):
        page.check(f"input[name=scopes][value={scope}]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    sandbox_key = page.locator("[data-testid=new-key]").inner_text().strip()
    assert sandbox_key.startswith("fnk_sbx_")
    sandbox = {"Authorization": f"Api-Key {sandbox_key}"}
    me = page.request.get("/api/v1/me/", headers=sandbox)
    assert me.status == 200
    assert me.json()["mode"] == "sandbox"
    scenarios = page.request.get("/api/v1/scenarios/", headers=sandbox).json()
    assert [s["code"] for s in scenarios["results"]] == ["trip-finance"]
    offers = page.request.post(
        "/api/v1/offers/",
        headers=sandbox,
        data={"scenario": "trip-finance", "event": "booking.created", "amount": "1000.00"},
    )
    assert offers.status == 200, offers.text()
    offer_id = offers.json()["offers"][0]["offer_id"]
    # Offers are recorded in batches a few seconds after the answer (docs/api.md): the partner's
    # sale comes later than that; here the server (in this process) writes its batch now.
    offer_log_flush()
    occurred = timezone.localtime(timezone.now() - timedelta(minutes=5))
    sale = {
        "external_id": "order-1",
        "scenario": "trip-finance",
        "product": "trip-installment",
        "kind": "sale",
        "amount": "1000.00",
        "currency": "CNY",
        "occurred_at": occurred.isoformat(),
        "offer_id": offer_id,
    }
    recorded = page.request.post("/api/v1/transactions/", headers=sandbox, data={"transactions": [sale]})
    assert recorded.status in (200, 201), recorded.text()
    assert SandboxTransaction.objects.filter(partner=partner, external_id="order-1").count() == 1
    assert not Transaction.objects.filter(partner=partner).exists()
    # A simulated settlement of the sandbox: marked as a simulation, nothing kept.
    day = occurred.date().isoformat()
    page.goto(f"/portal/sandbox/?scenario=trip-finance&date_from={day}&date_to={day}")
    assert "Simulation" in page.locator("[data-testid=simulation]").inner_text()
    assert page.locator("[data-testid=sim-count]").inner_text() == "1"
    screenshot(page, "journey-sandbox-simulation")

    # Staff review: the admin asks for the authenticator code at login.
    staff_page.goto("/admin/")
    assert "/accounts/login/" in staff_page.url
    log_in(staff_page, staff.email, totp_secret=secret, next_url="/admin/")
    assert urlparse(staff_page.url).path == "/admin/"
    # The review (started, documents checked against the originals, the registry) is another
    # staff member's work outside this journey, done by services: four eyes, whoever reviewed
    # or verified never approves.
    reviewer = StaffFactory(email="kyb-checker@bank.test", is_superuser=True)
    services.partner_review_start(partner=partner, actor=reviewer)
    for document in PartnerDocument.objects.filter(partner=partner):
        services.document_verify(document=document, actor=reviewer)
    partner.refresh_from_db()
    services.partner_credit_code_verify(partner=partner, actor=reviewer)
    services.partner_update(partner=partner, actor=staff, risk_rating="low", relationship_manager=staff)
    admin_action(staff_page, partner, "lifecycle_approve")
    admin_action(staff_page, partner, "lifecycle_activate")
    partner.refresh_from_db()
    assert partner.status == Partner.Status.ACTIVE

    # The owner creates a key, and the key calls the API.
    page.goto("/portal/keys/new/")
    page.fill("input[name=name]", "Booking server")
    page.select_option("select[name=channel]", "erp")
    page.check("input[name=scopes][value=read]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    key = page.locator("[data-testid=new-key]").inner_text().strip()
    answer = page.request.get("/api/v1/me/", headers={"Authorization": f"Api-Key {key}"})
    assert answer.status == 200
    assert answer.json()["partner"]["slug"] == partner.slug
    assert answer.json()["mode"] == "live"
    # Live never sees the sandbox, and the sandbox's external id does not block live.
    live_rows = page.request.get("/api/v1/transactions/", headers={"Authorization": f"Api-Key {key}"})
    assert live_rows.json()["results"] == []

    # The dashboard counts the two live calls, none of the sandbox's four.
    page.goto("/portal/")
    assert page.locator("[data-testid=calls-total]").inner_text() == "2"
    screenshot(page, "journey-signup-to-first-call")
