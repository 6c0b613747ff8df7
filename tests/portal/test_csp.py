"""The Content-Security-Policy: on every page, scripts only from our origin or with the
request's nonce; our templates hold no inline handler and no inline script or style without the
nonce; charts carry the nonce. (The browser journeys fail on any violation Chromium reports.)"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template import Context, Template

from core.charts import PORTAL, bar_chart

BASE_DIR = Path(django_settings.BASE_DIR)
# The project's templates and those of our apps (the staff console keeps its own).
TEMPLATES = sorted(
    path for root in (BASE_DIR / "templates", *BASE_DIR.glob("*/templates")) for path in root.rglob("*.html")
)
INLINE_HANDLER = re.compile(r"<[^>]*\s(on[a-z]+)\s*=", re.I)
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/json\")[^>]*>", re.I
)
INLINE_STYLE = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/api/docs/", "/api/redoc/"])
def test_every_page_carries_a_policy_without_inline_scripts(client, url):
    policy = _policy(client.get(url))

    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_the_page_nonce_is_the_one_in_the_header(client):
    response = client.get("/accounts/login/")

    nonce = next(s for s in _policy(response)["script-src"] if s.startswith("'nonce-"))[7:-1]
    assert f'"inlineStyleNonce": "{nonce}"' in response.content.decode()


@pytest.mark.django_db
def test_only_redoc_may_use_inline_styles_and_blob_workers(client):
    redoc = _policy(client.get("/api/redoc/"))
    swagger = _policy(client.get("/api/docs/"))

    assert "'unsafe-inline'" in redoc["style-src"]
    assert "blob:" in redoc["worker-src"]
    assert "'unsafe-inline'" not in swagger["style-src"]
    assert "worker-src" not in swagger


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_our_templates_hold_no_inline_handler_script_or_style_without_the_nonce(path):
    text = path.read_text()

    assert not INLINE_HANDLER.findall(text)
    assert not INLINE_SCRIPT.findall(text)
    assert not INLINE_STYLE.findall(text)


def test_a_chart_gets_the_nonce_on_its_style_and_loses_its_script():
    chart = bar_chart(
        title="Calls",
        labels=[date(2026, 1, 1), date(2026, 1, 2)],
        series={"a": [1, 2], "b": [0, 1]},
        look=PORTAL,
    )
    assert "<script" in chart
    assert "<style" in chart

    html = Template("{% load portal_csp %}{{ chart|csp_svg:nonce }}").render(
        Context({"chart": chart, "nonce": "abc123"})
    )

    assert "<script" not in html
    assert '<style nonce="abc123"' in html
    assert "<svg" in html


def test_text_that_is_not_our_markup_stays_escaped():
    html = Template("{% load portal_csp %}{{ chart|csp_svg:nonce }}").render(
        Context({"chart": "<style>x</style>", "nonce": "n"})
    )

    assert html == "&lt;style&gt;x&lt;/style&gt;"
