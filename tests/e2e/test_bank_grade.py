"""Issue 14, "Done when": every persona's journey, in English and in Chinese, at a phone's width
(390 px) and a laptop's (1366 px), over the demo data (``seed_demo``: pages full of money).

Every page passes :func:`helpers.bank_grade_problems`: no money figure with more than two
decimals, no code of the program (``under_review``, "partner #5", a constraint's name, ``None``),
no bare 403/404/500, no page wider than the window; in Chinese, no heading left in English.
Each combination logs in once; each page's window is saved as
``var/screenshots/<persona>/<lang>-<width>-<page>.png`` (CI keeps them) and a page with problems
as ``…-<page>-problem.png`` (the whole page). A journey visits all its pages and then fails
with every problem found, naming the page and the text."""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from tests.factories import _credit_code

from .helpers import PASSWORD, SCREENSHOTS, bank_grade_problems, confirmation_link, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"en": "en-US", "zh-hans": "zh-CN"}
WIDTHS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 768}}
OWNER = "owner@skyway-travel.demo"
# Problems found by this sweep that another change owns (issue 14): a journey whose only
# problems are these is marked xfail with them listed; any other problem fails it.
KNOWN: dict[str, str] = {}  # problems owned by other work: none left
DEVELOPER = "dev@skyway-travel.demo"


@pytest.fixture
def demo(db):
    """The demo data; returns the names of content (partners, products, scenarios, industries),
    which may stay in English inside the Chinese UI until content has both languages."""
    from partners.models import Industry, Partner
    from products.models import Product
    from scenarios.models import Scenario

    call_command("seed_demo", "--force", "--password", PASSWORD, stdout=StringIO())
    names = set()
    for model, field in (
        (Partner, "display_name"),
        (Product, "name"),
        (Scenario, "name"),
        (Industry, "name"),
    ):
        names.update(model.objects.values_list(field, flat=True))
    return names


class Sweep:
    """One persona in one language at one width: visits pages, checks and photographs each,
    and keeps the problems until :meth:`finish`."""

    def __init__(self, page, persona: str, language: str, width: str, names: set[str]):
        self.page, self.names = page, names
        self.folder = SCREENSHOTS / persona
        self.prefix = f"{language}-{width}"
        self.problems: dict[str, list[str]] = {}
        self.folder.mkdir(parents=True, exist_ok=True)

    def visit(self, path: str, name: str, *, status: int = 200) -> None:
        response = self.page.goto(path)
        self.check(name, status=response.status if response else None, expected=status)

    def check(self, name: str, *, status: int | None = None, expected: int | None = None) -> None:
        page = self.page
        page.wait_for_load_state("load")
        problems = bank_grade_problems(page, status=status, content_names=self.names)
        if expected is not None and status != expected:
            problems.insert(0, f"answered {status}, expected {expected}")
        page.screenshot(path=str(self.folder / f"{self.prefix}-{name}.png"))
        if problems:
            page.screenshot(path=str(self.folder / f"{self.prefix}-{name}-problem.png"), full_page=True)
            self.problems[f"{name} ({urlparse(page.url).path})"] = problems

    def submit(self, selector: str = "main form button[type=submit]") -> None:
        with self.page.expect_navigation():
            self.page.click(selector)

    def finish(self) -> None:
        lines = [f"{page} {problem}" for page, problems in self.problems.items() for problem in problems]
        if lines and all(any(re.search(known, line) for known in KNOWN) for line in lines):
            pytest.xfail("known, owned elsewhere:\n" + "\n".join(lines))
        if self.problems:
            report = "\n".join(
                f"{page}:\n    " + "\n    ".join(problems) for page, problems in self.problems.items()
            )
            pytest.fail(f"{self.prefix}: pages that are not bank-grade:\n{report}", pytrace=False)


@pytest.fixture(params=list(WIDTHS))
def width(request):
    return request.param


@pytest.fixture(params=list(LANGUAGES))
def language(request):
    return request.param


@pytest.fixture
def sweep(browser, live_server, csp_violations, demo, language, width, request):
    """A page of a fresh browser context in ``language`` at ``width``, in a :class:`Sweep`."""
    context = browser.new_context(
        base_url=live_server.url, locale=LANGUAGES[language], viewport=WIDTHS[width]
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    context.set_default_timeout(45_000)
    page = context.new_page()
    page.on("console", lambda m: "Refused to" in m.text and csp_violations.append(f"{page.url}: {m.text}"))
    persona = request.node.originalname.removeprefix("test_").replace("_", "-")
    yield Sweep(page, persona, language, width, demo)
    context.close()


def _first_link(page, pattern: str) -> str:
    """The first link on the page whose address matches ``pattern``."""
    hrefs = page.locator("main a[href]").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    matching = [href for href in hrefs if re.search(pattern, href)]
    assert matching, f"no link matching {pattern} on {page.url}"
    return matching[0]


def test_outsider(sweep):
    for path, name in [
        ("/", "home"),
        ("/accounts/login/", "login"),
        ("/accounts/signup/", "signup"),
        ("/accounts/password/reset/", "password-reset"),
        ("/api/docs/", "api-docs"),
    ]:
        sweep.visit(path, name)
    sweep.visit("/no-such-page/", "404", status=404)
    sweep.visit("/portal/statements/999999/", "statement-logged-out", status=200)  # to the login page
    # A wrong password: the form says so in words.
    sweep.page.goto("/accounts/login/")
    sweep.page.fill("input[name=login]", OWNER)
    sweep.page.fill("input[name=password]", "not-the-password")
    sweep.submit("form button[type=submit]")
    sweep.check("login-refused")
    # A partner's member in the staff console, and another partner's statement.
    log_in(sweep.page, "owner@greenleaf-community.demo")
    sweep.visit("/staff/", "staff-console-as-partner", status=403)
    sweep.visit("/admin/", "admin-as-partner", status=403)
    from revenue.models import Statement

    other = Statement.objects.filter(partner__slug="skyway-travel").first()
    sweep.visit(f"/portal/statements/{other.pk}/", "another-partners-statement", status=404)
    sweep.finish()


def test_new_partner(sweep):
    from partners.models import Industry

    page, email = sweep.page, f"owner-{sweep.prefix}@sunny-trips.test"
    sweep.visit("/accounts/signup/", "signup")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    sweep.submit("main form button[type=submit]")
    sweep.check("verification-sent")
    sweep.visit(urlparse(confirmation_link(email)).path, "confirm-email")
    sweep.submit()
    sweep.check("apply-company")
    page.evaluate("document.querySelector('main form').noValidate = true")
    sweep.submit()  # empty, past the browser's own check: the page's errors name the fields
    sweep.check("apply-company-errors")
    page.fill("input[name=legal_name]", "Sunny Trips Co., Ltd.")
    page.fill("input[name=display_name]", "Sunny Trips")
    page.fill("input[name=credit_code]", _credit_code(777))
    page.select_option("select[name=industry]", str(Industry.objects.get(code="travel").pk))
    sweep.submit()
    sweep.check("apply-contacts")
    page.fill("input[name=contact_name]", "Sunny Owner")
    sweep.submit()
    sweep.check("apply-documents")
    sweep.visit("/portal/apply/review/", "apply-review")
    sweep.visit("/portal/application/", "application")
    sweep.visit("/portal/keys/", "keys-before-approval")  # to the application's status
    sweep.finish()


def _partner_pages(sweep, *, owner: bool) -> None:
    page = sweep.page
    for path, name in [
        ("/portal/", "dashboard"),
        ("/portal/getting-started/", "getting-started"),
        ("/portal/keys/", "keys"),
        ("/portal/webhooks/", "webhooks"),
        ("/api/docs/", "api-docs"),
        ("/portal/scenarios/", "scenarios"),
    ]:
        sweep.visit(path, name)
    sweep.visit(_first_link(page, r"^/portal/scenarios/[\w-]+/$"), "scenario")
    sweep.visit("/portal/scenarios/travel-finance/offers/", "offers")
    page.fill("input[name=amount]", "12345.67")
    if page.locator("input[name=tenor_months]").count():
        page.fill("input[name=tenor_months]", "12")
    sweep.submit()
    sweep.check("offers-answered")
    sweep.visit("/portal/keys/new/", "key-create")
    page.fill("input[name=name]", "Booking server")
    page.select_option("select[name=channel]", "erp")
    page.check("input[name=scopes][value=read]")
    sweep.submit()
    sweep.check("key-issued")
    sweep.visit("/portal/webhooks/", "webhooks")
    page.fill("input[name=url]", "https://hooks.example.com/finance")
    page.locator("input[name=events]").first.check()
    sweep.submit()
    sweep.check("webhook-created")
    if owner:
        sweep.visit("/portal/transactions/", "transactions")
        sweep.visit("/portal/statements/", "statements")
        sweep.visit(_first_link(page, r"^/portal/statements/\d+/$"), "statement")
        sweep.visit("/portal/disputes/", "disputes")
        sweep.visit("/portal/team/", "team")
    else:
        sweep.visit("/portal/transactions/", "transactions", status=403)
        sweep.visit("/portal/statements/", "statements", status=403)
        sweep.visit("/portal/team/", "team")


def test_partner_owner(sweep):
    log_in(sweep.page, OWNER)
    _partner_pages(sweep, owner=True)
    sweep.finish()


def test_partner_developer(sweep):
    log_in(sweep.page, DEVELOPER)
    _partner_pages(sweep, owner=False)
    sweep.finish()


def _admin_list_and_first(sweep, changelist: str, name: str) -> None:
    sweep.visit(changelist, name)
    links = sweep.page.locator("#result_list tbody th a, #result_list tbody td a[href*='/change/']")
    if links.count():
        sweep.visit(links.first.get_attribute("href"), f"{name}-change")


def test_product_manager(sweep):
    log_in(sweep.page, "maker@demo.local")
    sweep.visit("/staff/", "console")
    _admin_list_and_first(sweep, "/admin/products/product/", "products")
    sweep.visit("/admin/products/product/add/", "product-add")
    _admin_list_and_first(sweep, "/admin/scenarios/scenario/", "scenarios")
    sweep.visit("/admin/scenarios/scenario/add/", "scenario-add")
    _admin_list_and_first(sweep, "/admin/scenarios/participation/", "participations")
    _admin_list_and_first(sweep, "/admin/partners/partner/", "partners")
    sweep.finish()


def _finance_pages(sweep) -> None:
    sweep.visit("/staff/", "console")
    sweep.visit("/staff/inbox/", "inbox")
    _admin_list_and_first(sweep, "/admin/revenue/agreement/", "agreements")
    _admin_list_and_first(sweep, "/admin/revenue/statement/", "statements")
    _admin_list_and_first(sweep, "/admin/revenue/dispute/", "disputes")
    _admin_list_and_first(sweep, "/admin/revenue/transaction/", "transactions")
    _admin_list_and_first(sweep, "/admin/revenue/settlementrun/", "settlement-runs")
    sweep.visit("/staff/jobs/", "jobs")
    sweep.visit("/staff/funnel/", "funnel")


def test_finance_maker(sweep):
    page = sweep.page
    log_in(page, "maker@demo.local")
    sweep.visit("/admin/revenue/agreement/add/", "agreement-add")
    # The worked example for a partner and scenario chosen by name.
    for field in ("partner", "scenario"):
        select = page.locator(f"select[name={field}]")
        if select.count():
            values = select.locator("option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
            if values:
                select.select_option(values[0])
    sweep.submit("#content form [type=submit][name=_save], #content form input[type=submit]")
    sweep.check("agreement-add-answered")
    _finance_pages(sweep)
    sweep.finish()


def test_finance_checker(sweep):
    log_in(sweep.page, "checker@demo.local")
    _finance_pages(sweep)
    sweep.finish()


def test_auditor(sweep):
    page = sweep.page
    log_in(page, "auditor@demo.local")
    sweep.visit("/staff/", "console")
    sweep.visit("/staff/audit/", "audit")
    sweep.visit("/staff/audit/?q=Skyway", "audit-search")
    sweep.visit("/staff/audit/?q=under_review", "audit-search-code")
    sweep.visit("/staff/funnel/", "funnel")
    exports = page.locator("main a[href*='export'], #content a[href*='export'], a[href*='format=']")
    for index in range(min(exports.count(), 2)):
        href = exports.nth(index).get_attribute("href")
        answer = page.request.get(href)
        if answer.status != 200:
            sweep.problems[f"export {href}"] = [f"answered {answer.status}"]
    sweep.visit("/admin/revenue/agreement/add/", "agreement-add-refused", status=403)
    sweep.finish()


BAD_PAGE = """<html lang="%s"><body><main>
<h1>%s</h1>
<p>Year to date: <span class="money">896500.260000000 CNY</span></p>
<table><thead><tr><th>Product</th><th>Gross</th><th>Rate</th></tr></thead>
<tbody><tr><td>Trip cover</td><td>70389.110</td><td>9.9000 %%</td></tr></tbody></table>
<p>Status: submitted → under_review by partner #5</p>
<p>Constraint “bundle_item_rate_adjustment_within_cap” is violated.</p>
<p>Risk rating</p><p>None</p>
<p>Key fnk_ab12cd, ask ops@bank.test, call /api/v1/me/; <code>partner__slug</code></p>
<div style="width: 2000px">wide</div>
</main></body></html>"""


def test_the_page_check_finds_every_kind_of_problem(page):
    """The check is not blind: each problem of issue 14 on one page, and what it must let pass."""
    page.set_content(BAD_PAGE % ("zh-hans", "Statements"))
    problems = bank_grade_problems(page, status=404)

    assert problems == [
        "unformatted decimal: 'Year to date: 896500.260000000 CNY'",
        "money with more than two decimals: '896500.260000000 CNY'",
        "unformatted decimal: '896500.260000000 CNY'",
        "money with more than two decimals: '70389.110'",  # not the rate of 9.9000 % next to it
        "raw code 'under_review': 'Status: submitted → under_review by partner #5'",
        "database id 'partner #5': 'Status: submitted → under_review by partner #5'",
        "raw code 'bundle_item_rate_adjustment_within_cap': "
        "'Constraint “bundle_item_rate_adjustment_within_cap” is violated.'",
        "program text 'Constraint “bundle_item_rate_adjustment_within_cap” is violated': "
        "'Constraint “bundle_item_rate_adjustment_within_cap” is violated.'",
        "program text 'None': 'None'",
        # fnk_ key prefixes, addresses, paths and <code> pass
        "bare error page (404): 'Statements'",
        "horizontal overflow: '728 px wider than the window'",
        "English heading in the Chinese UI: 'Statements'",
    ]

    # A branded error page with a content name as its heading is fine.
    page.set_content(
        '<html lang="zh-hans"><body><main><h1>Skyway Travel</h1><section class="error-page">'
        "<p>找不到页面</p></section></main></body></html>"
    )
    assert bank_grade_problems(page, status=404, content_names={"Skyway Travel"}) == []
