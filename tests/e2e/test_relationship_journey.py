"""Journey (issue 17): the whole relationship as a partner's owner lives it in the browser.

The bank invites the partner to a scenario (the bell shows it); the owner accepts; the bank
publishes version 2 through the service (the bell announces it); the owner reads what changed
and moves. The bank agrees terms, the partner reports sales and the month is settled: the bell
says the statement is ready; the owner opens it and disputes a line. Two different staff
members propose and approve an adjustment: the owner is told the amount at each step, and the
disputes page shows the proposed, then approved amount and links the statement carrying it.
At a phone's width (390 px) and a laptop's (1366 px), in English and Chinese; no page is wider
than the window."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import translation

from partners.models import Notification
from partners.notifications import render
from revenue import services as revenue
from revenue.models import Adjustment, Agreement, Dispute, Statement
from scenarios import services as scenarios
from scenarios.models import Participation
from tests.api.factories import api_partner
from tests.factories import StaffFactory
from tests.products.factories import ProductFactory
from tests.revenue.factories import agreement_in_force, finance_staff, item, record
from tests.scenarios.factories import BundleItemFactory, ScenarioFactory

from .helpers import log_in, portal_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 768}}
LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}
NBSP = "\N{NO-BREAK SPACE}"


def _overflow(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def _text(locator) -> str:
    return locator.inner_text().replace(NBSP, " ")


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
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations), pytrace=False)


class Journey:
    """What the owner sees of the notification centre, checked against the rows it reads."""

    def __init__(self, page, owner, language: str, width: str):
        self.page, self.owner, self.language, self.width = page, owner, language, width

    def unread(self) -> int:
        return Notification.objects.filter(recipient=self.owner, read_at__isnull=True).count()

    def bell_shows(self, count: int) -> None:
        assert self.unread() == count
        assert self.page.locator("[data-testid=bell-count]").inner_text() == str(count)

    def notice(self, kind: str):
        """Open the list from the bell; the one unread notice of ``kind``, its message in the
        reader's language with the parameters it was written with."""
        with self.page.expect_navigation():
            self.page.click("[data-testid=bell]")
        row = Notification.objects.get(recipient=self.owner, kind=kind, read_at__isnull=True)
        notice = self.page.locator(f'[data-testid=notice].unread[data-kind="{kind}"]')
        assert notice.count() == 1
        with translation.override(self.language):
            expected = render(kind, row.params)
        assert expected.replace(NBSP, " ") in _text(notice)
        if self.language == "zh-hans":
            assert any("\u4e00" <= c <= "\u9fff" for c in _text(notice.locator(".notice-message")))
        assert _overflow(self.page) <= 0, f"the notifications are wider than {self.width} px"
        return notice, row

    def open(self, notice, row) -> None:
        """ "View": marks it read and goes to what it is about."""
        with self.page.expect_navigation():
            notice.locator("button[name=open]").click()
        assert self.page.url.endswith(row.link)
        row.refresh_from_db()
        assert row.read_at is not None
        assert _overflow(self.page) <= 0, f"{row.link} is wider than {self.width} px"


@pytest.mark.parametrize(
    "journey_page",
    [(w, lang) for w in WIDTHS for lang in LANGUAGES],
    indirect=True,
    ids=lambda p: "-".join(p),
)
def test_invitation_to_move_to_statement_to_dispute_outcome(journey_page, staff_roles, screenshot):
    page, width, language = journey_page
    partner = api_partner("skyway-travel")
    owner = portal_user(partner, "owner@skyway.test", "owner")
    manager = StaffFactory(email="pm@bank.test")
    manager.groups.add(staff_roles["Product managers"])
    maker = finance_staff(staff_roles, "maker@bank.test", "Finance makers")
    checker = finance_staff(staff_roles, "checker@bank.test", "Finance checkers")
    loan = ProductFactory(code="trip-installment", name="Trip installments", name_zh="旅行分期")
    v1 = ScenarioFactory(
        code="travel-finance", name="Travel finance", name_zh="旅行金融", industry=partner.industry
    )
    BundleItemFactory(scenario=v1, product=loan, position=1, rate_adjustment=D("-0.010000"))
    journey = Journey(page, owner, language, width)

    # 1. The invitation: the bell, the notice, the scenario page, accept.
    scenarios.participation_invite(partner=partner, scenario=v1, actor=manager, note="Welcome")
    log_in(page, owner.email)
    journey.bell_shows(1)
    notice, row = journey.notice("participation.invited")
    journey.open(notice, row)
    with page.expect_navigation():
        page.click('[data-testid="accept-invitation"]')
    assert Participation.objects.get(partner=partner).status == "active"
    assert page.locator("[data-testid=bell-count]").count() == 0

    # 2. Version 2, published by the bank through the service: announced, compared, moved to.
    v2 = scenarios.scenario_new_version(scenario=v1, actor=manager)
    copied = v2.items.get(product=loan)
    copied.rate_adjustment = D("-0.030000")
    scenarios.bundle_item_save(item=copied, actor=manager)
    pay = ProductFactory(code="trip-pay", name="Trip pay", name_zh="旅行支付")
    scenarios.bundle_item_add(scenario=v2, product=pay, actor=manager, role="cross_sell")
    v2 = scenarios.scenario_publish(scenario=v2, actor=manager, reason="cheaper installments")
    page.reload()
    journey.bell_shows(1)
    notice, row = journey.notice("scenario.version_published")
    assert row.params["version"] == "2"
    journey.open(notice, row)
    assert page.locator('[data-testid="new-version"]').count() == 1
    with page.expect_navigation():
        page.click('[data-testid="see-changes"]')
    assert page.locator('[data-testid="diff-added"]').count() == 1
    assert "-3.00" in page.locator('[data-testid="diff-changed"]').inner_text()
    assert _overflow(page) <= 0, f"the changes page is wider than {width} px"
    screenshot(page, f"journey-relationship-move-{width}-{language}")
    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click('[data-testid="move"]')
    moved = Participation.objects.get(partner=partner, status="active")
    assert (moved.scenario, moved.moved_from.status) == (v2, "ended")
    assert page.locator('[data-testid="new-version"]').count() == 0

    # 3. Terms agreed, January's sales reported and settled: the statement is ready.
    agreement = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=v2)
    assert Agreement.objects.get(pk=agreement.pk).status == "active"
    record(partner, item(amount="100.00"), item(product="trip-pay", amount="40.00"))
    revenue.settlement_start(through=date(2026, 1, 31), trigger="command", dispatch=False)
    january = Statement.objects.get(partner=partner)
    assert (january.gross_amount, january.share_amount) == (D("140.00"), D("42.00"))
    page.reload()
    journey.bell_shows(2)  # the agreement sent for acceptance (left unread), the statement
    notice, row = journey.notice("statement.ready")
    assert row.params["amount"] == f"42.00{NBSP}CNY"
    assert "42.00 CNY" in _text(notice)
    journey.open(notice, row)  # the statement's own page

    # 4. The owner disputes the trip-pay line.
    line = january.lines.get(product=pay)
    page.click(f"#line-{line.pk} summary")
    page.fill(f"#reason-{line.pk}", "Our ledger shows two payments, not one.")
    with page.expect_navigation():
        page.click(f"#line-{line.pk} button[type=submit]")
    dispute = Dispute.objects.get()
    assert (dispute.line, dispute.raised_by, dispute.status) == (line, owner, "open")
    with translation.override(language):
        disputed = translation.gettext("Disputed")
    assert disputed in page.locator(f"#line-{line.pk}").inner_text()
    screenshot(page, f"journey-relationship-disputed-{width}-{language}")

    # 5. A finance maker proposes an adjustment: the owner is told the amount.
    adjustment = revenue.dispute_propose_adjustment(
        dispute=dispute, actor=maker, amount=D("12.50"), reason="The second payment was missed."
    )
    page.reload()
    journey.bell_shows(3)  # still the agreement; the dispute received; an adjustment proposed
    notice, row = journey.notice("dispute.proposed")
    assert "12.50 CNY" in _text(notice)
    journey.open(notice, row)  # the disputes page
    with translation.override(language):
        proposed, approved = translation.gettext("Proposed"), translation.gettext("Approved")
        carried = translation.gettext("on the statement %(start)s – %(end)s") % {
            "start": "2026-02-01",
            "end": "2026-02-28",
        }
    cell = page.locator("[data-testid=dispute-adjustment]")
    assert f"{proposed}: 12.50 CNY" in _text(cell)
    assert Dispute.objects.get().status == "resolving"

    # 6. Another staff member approves it; February is settled and carries it.
    revenue.adjustment_approve(adjustment=adjustment, actor=checker)
    record(partner, item(amount="10.00", day=date(2026, 2, 3)))
    revenue.settlement_start(through=date(2026, 2, 28), trigger="command", dispatch=False)
    carrier = Adjustment.objects.get(pk=adjustment.pk).line.statement
    assert carrier.period_start == date(2026, 2, 1)
    assert carrier != january
    assert carrier.adjustment_amount == D("12.50")
    assert Dispute.objects.get().status == "resolved"
    page.reload()
    journey.bell_shows(4)  # the agreement, the dispute received, resolved; February's statement
    notice, row = journey.notice("dispute.resolved")
    assert "12.50 CNY" in _text(notice)
    journey.open(notice, row)
    cell = page.locator("[data-testid=dispute-adjustment]")
    assert f"{approved}: 12.50 CNY" in _text(cell)
    assert carried in cell.inner_text()
    screenshot(page, f"journey-relationship-outcome-{width}-{language}")
    with page.expect_navigation():
        cell.locator(f"a[href='/portal/statements/{carrier.pk}/']").click()
    assert "2026-02-01" in page.locator("main h1").inner_text()
    assert "12.50 CNY" in _text(page.locator("main .facts"))
    assert _overflow(page) <= 0, f"the statement is wider than {width} px"
