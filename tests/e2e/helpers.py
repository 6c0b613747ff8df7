"""Helpers of the browser journeys: staff with a TOTP authenticator (made directly, or enrolled
through the enrolment link in the browser), codes computed with the same algorithm as allauth
(RFC 6238), logging in through the real pages."""

from __future__ import annotations

import re
import time
from pathlib import Path

from django.core import mail

PASSWORD = "a-Long-pass-2026!"


def staff_with_totp(email: str = "reviewer@bank.test"):
    """A superuser with a TOTP authenticator; returns ``(user, secret)``."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.factories import StaffFactory

    user = StaffFactory(email=email, is_superuser=True, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def staff_to_enrol(email: str = "new.reviewer@bank.test"):
    """A superuser without an authenticator and the path of their enrolment link (what the
    e-mail sent on creation carries)."""
    from allauth.account.models import EmailAddress

    from portal.enrolment import staff_enrolment_issue
    from tests.factories import StaffFactory

    user = StaffFactory(email=email, is_superuser=True, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    link = staff_enrolment_issue(user=user)
    return user, "/" + link.split("/", 3)[3]


def enrol_in_browser(page, email: str, link_path: str, password: str = PASSWORD) -> str:
    """Enrol as a new staff member does: open the link, log in, confirm, give the password
    again (allauth asks before adding an authenticator), read the secret the setup page shows
    and activate the app with a code. Returns the secret."""
    page.goto(link_path)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")  # "Set up my authenticator app"
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return secret


_USED_CODES: set[tuple[str, int]] = set()


def totp_code(secret: str) -> str:
    """The current code of ``secret``, as a person would type it: never one about to expire
    (allauth accepts only the current 30-second window) and never one already used (allauth
    refuses a replayed code), waiting for the next window when needed."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    while True:
        now = time.time()
        counter = int(now) // 30
        if now - counter * 30 > 25 or (secret, counter) in _USED_CODES:
            time.sleep((counter + 1) * 30 - now + 0.1)
            continue
        _USED_CODES.add((secret, counter))
        return format_hotp_value(hotp_value(secret, counter))


def log_in(
    page, email: str, password: str = PASSWORD, *, totp_secret: str | None = None, next_url: str = ""
) -> None:
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    if totp_secret:
        page.fill("input[name=code]", totp_code(totp_secret))
        with page.expect_navigation():
            page.click("form button[type=submit]")


def confirmation_link(address: str) -> str:
    """The e-mail confirmation link last sent to ``address`` (the locmem outbox)."""
    for message in reversed(mail.outbox):
        if address in message.to:
            found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
            if found:
                return found.group(0)
    raise AssertionError(f"no confirmation e-mail to {address}")


def portal_user(partner, email: str, role: str):
    """A member of ``partner`` with a verified address and the journeys' password."""
    from allauth.account.models import EmailAddress

    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    MembershipFactory(partner=partner, user=user, role=role)
    return user


# --------------------------------------------------------------------------------------
# The bank-grade page check (issue 14, "Done when"): one check for every page of every journey.
# --------------------------------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Headings of table columns (and labels of fields) whose cells are money.
MONEY_HEADINGS = re.compile(
    r"amount|gross|share|total|net\b|payout|fee|refund|sales|revenue|balance|adjust|year to date"
    r"|金额|总额|分成|合计|净额|费用|退款|销售|收入|余额|调整|年初至今",
    re.IGNORECASE,
)
CURRENCY = re.compile(r"CNY|RMB|元|¥")
# A number with more than two decimals; a percentage may have up to four.
LONG_DECIMAL = re.compile(r"(?<![\w.])-?\d[\d,\u00a0\u202f]*\.(\d{3,})(?![\d.])(\s*%)?")
# Float garbage or an unformatted Decimal anywhere on a page: six decimals or more.
RAW_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d{6,}(?![\d.])")
# Identifiers of the code: snake_case (``under_review``, ``partner__slug``).
# An event name (``property_fee.due``) is the API's vocabulary, not a leak.
SNAKE_CASE = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:_{1,2}[a-z0-9]+)+(?![\w.@/-])")
# An object shown by its database id ("partner #5").
OBJECT_ID = re.compile(r"(?<![\w&])[A-Za-z\u4e00-\u9fff]+\s?#\d+\b")
LEAKS = re.compile(
    r"Constraint\s.{1,100}\sis violated|约束.{1,100}(?:违反|无效)|IntegrityError|UNIQUE constraint failed"
    r"|violates (?:unique|check|foreign key) constraint|DoesNotExist|Traceback \(most recent|\[object Object\]"
    r"|^(?:None|NaN|undefined)$|:\s(?:None|NaN|undefined)\b"
)
# Codes that are the point of what shows them: key prefixes, e-mail addresses, URLs and paths.
ALLOWED = re.compile(
    r"\bfnk_\w+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+://\S+|(?<!\w)/[\w./{}:?=&%-]+|\bApi-Key\s+\S+"
)
# Django's own bare error pages (no branded template) and a browser's empty answer.
BARE_ERRORS = re.compile(
    r"^(?:Not Found|Bad Request \(400\)|Server Error \(500\)|403 Forbidden|Forbidden \(403\)|A server error occurred)",
    re.MULTILINE,
)
# Words that stay in Latin letters in the Chinese UI.
LATIN_IN_CHINESE = {
    "API",
    "CSV",
    "XLSX",
    "KYB",
    "MFA",
    "TOTP",
    "ID",
    "URL",
    "Webhook",
    "Webhooks",
    "Finance+N",
}

_PAGE_TEXT = """() => {
  // Code shown as code, form fields, and the API reference (Swagger UI) are not the UI's words.
  const skip = "code, pre, kbd, samp, script, style, noscript, textarea, input, select, option, svg, [data-code], .swagger-ui, redoc";
  const money = __MONEY__;
  const currency = __CURRENCY__;
  const out = [];
  const headingOf = (cell) => {
    const table = cell.closest("table");
    const head = table && (table.tHead ? table.tHead.rows[0] : table.rows[0]);
    if (!head || head === cell.parentElement) return "";
    const th = head.cells[cell.cellIndex];
    return th ? th.innerText : "";
  };
  const labelOf = (el) => {
    const row = el.closest(".form-row, .fieldBox, .field");
    const label = row && row.querySelector("label, .label, dt");
    const dd = el.closest("dd");
    const dt = dd && dd.previousElementSibling;
    return (label ? label.innerText : "") + " " + (dt && dt.tagName === "DT" ? dt.innerText : "");
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el || seen.has(el) || el.closest(skip) || !el.checkVisibility()) continue;
    seen.add(el);
    const text = el.innerText.trim();
    if (!text) continue;
    const cell = el.closest("td, th");
    const isMoney = !!el.closest(".money")
      || (cell && cell.tagName === "TD" && money.test(headingOf(cell)))
      || money.test(labelOf(el))
      || currency.test(walker.currentNode.textContent);
    const isCode = !!cell && /^(code|slug|prefix|key|reference|id|代码|编码|前缀|标识)$/i.test(headingOf(cell).trim());
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join(" ").trim();
    out.push([text, own, isMoney, isCode]);
  }
  const headings = [...document.querySelectorAll("main h1, #content h1, main h2")].filter(h => h.checkVisibility()).map(h => h.innerText.trim());
  return {
    texts: out,
    headings: headings,
    lang: document.documentElement.lang,
    branded: !!document.querySelector(".error-page"),
    overflow: document.scrollingElement.scrollWidth - window.innerWidth,
    body: document.body ? document.body.innerText.slice(0, 400) : "",
  };
}""".replace("__MONEY__", "/" + MONEY_HEADINGS.pattern.replace("/", "\\/") + "/i").replace(
    "__CURRENCY__", "/" + CURRENCY.pattern + "/"
)


def bank_grade_problems(page, *, status: int | None = None, content_names=()) -> list[str]:
    """What a bank's customer should never see on ``page``: a money figure with more than two
    decimals, a code of the program (snake_case, an object's database id, a constraint's name,
    ``None``), a bare error page, a page wider than the window; in the Chinese UI, a heading in
    English (``content_names``, names of partners, products and scenarios, may be either)."""
    found = page.evaluate(_PAGE_TEXT)
    problems: list[str] = []

    def add(kind: str, text: str) -> None:
        line = f"{kind}: {text[:160]!r}"
        if line not in problems:
            problems.append(line)

    for text, own, is_money, is_code in found["texts"]:
        for match in LONG_DECIMAL.finditer(text):
            decimals, percent = match.group(1), match.group(2)
            if is_money and not (percent and len(decimals) <= 4):
                add("money with more than two decimals", text)
        if RAW_DECIMAL.search(text):
            add("unformatted decimal", text)
        if is_code:
            continue
        cleaned = ALLOWED.sub(" ", own)
        for match in SNAKE_CASE.finditer(cleaned):
            add(f"raw code {match.group(0)!r}", own)
        for match in OBJECT_ID.finditer(cleaned):
            add(f"database id {match.group(0)!r}", own)
        for match in LEAKS.finditer(cleaned):
            add(f"program text {match.group(0)!r}", own)
    if (status is not None and status >= 400 and not found["branded"]) or (
        not found["branded"] and BARE_ERRORS.search(found["body"])
    ):
        add(f"bare error page ({status})", found["body"].strip().split("\n")[0])
    if found["overflow"] > 1:
        add("horizontal overflow", f"{found['overflow']} px wider than the window")
    if found["lang"].startswith("zh"):
        names = set(content_names)
        for heading in found["headings"]:
            words = [w for w in re.findall(r"[A-Za-z][\w+.-]*", heading) if w not in LATIN_IN_CHINESE]
            if words and not re.search(r"[\u4e00-\u9fff]", heading) and not any(n in heading for n in names):
                add("English heading in the Chinese UI", heading)
    return problems


def assert_bank_grade(page, *, context: str, status: int | None = None, content_names=()) -> None:
    """Fail with the page, what is wrong on it and a full-page screenshot
    (``var/screenshots/failed/<context>.png``) when :func:`bank_grade_problems` finds anything."""
    problems = bank_grade_problems(page, status=status, content_names=content_names)
    if problems:
        shot = SCREENSHOTS / "failed" / (re.sub(r"[^\w.-]+", "-", context) + ".png")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{context} ({page.url}, screenshot {shot}):\n  " + "\n  ".join(problems))
