"""Browser tests: Playwright driving Debian's headless Chromium (never a downloaded browser).

Pages are served by pytest-django's ``live_server``. Screenshots of each journey's last page go
to ``test-artifacts/``. Without /usr/bin/chromium the tests are skipped locally and fail in CI.

Every page runs under the Content-Security-Policy: a violation that Chromium reports in the
console ("Refused to execute inline script…") fails the test that caused it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install Debian's chromium for the browser tests")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    path = _chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def csp_violations() -> list[str]:
    """The policy violations Chromium reported on this test's pages (a test that provokes one
    on purpose takes it out of the list)."""
    return []


@pytest.fixture
def page(browser, live_server, csp_violations):
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    # Generous: CI machines run the suite on two databases and other jobs at once.
    context.set_default_timeout(45_000)
    page = context.new_page()
    page.on("console", lambda message: _record_csp_violation(message, page, csp_violations))
    yield page
    context.close()
    if csp_violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations), pytrace=False)


def _record_csp_violation(message, page, violations: list[str]) -> None:
    text = message.text
    if "Refused to" in text or "Content Security Policy" in text:
        violations.append(f"{page.url}: {text}")


@pytest.fixture
def screenshot():
    """``screenshot(page, "journey-name")`` saves the page under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
