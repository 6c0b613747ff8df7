"""``/portal/payouts/``: the partner's payouts with their netting and status, the remittance
advice as PDF and CSV, another partner's payout a 404, fixed queries, both languages."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from payouts import remittance
from payouts.services.reconcile import payout_return, payout_settle

from .factories import released_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_payout(batch, clerk):
    payout = batch.payouts.get(partner__slug="acme")
    payout_settle(payout=payout, value_date=date(2026, 3, 5), bank_reference="BNK-REF-9", actor=clerk)
    payout.refresh_from_db()
    return payout


def test_the_list_shows_each_payout_with_its_status_and_value_date(client, fiona, acme_payout):
    client.force_login(fiona)
    html = client.get(reverse("portal:payouts")).content.decode()
    assert acme_payout.end_to_end_id in html
    assert "1,050.50" in html
    assert "Paid" in html
    assert "2026-03-05" in html
    # The other partner's payout is not listed.
    assert batch_other_e2e(acme_payout) not in html


def batch_other_e2e(payout) -> str:
    return payout.batch.payouts.exclude(pk=payout.pk).get().end_to_end_id


def test_the_statements_page_links_the_payouts(client, fiona, acme_payout):
    client.force_login(fiona)
    assert 'href="/portal/payouts/"' in client.get(reverse("portal:statements")).content.decode()


def test_the_detail_shows_the_netting_lines(client, fiona, acme_payout):
    client.force_login(fiona)
    html = client.get(reverse("portal:payout", args=[acme_payout.pk])).content.decode()
    assert "Claw-back taken" in html
    assert "-200.00" in html
    assert "250.50" in html
    assert "1,000.00" in html
    assert "BNK-REF-9" in html


def test_another_partners_payout_is_a_404(client, charlie, acme_payout):
    client.force_login(charlie)
    for name in ("portal:payout", "portal:payout-pdf", "portal:payout-csv"):
        assert client.get(reverse(name, args=[acme_payout.pk])).status_code == 404


def test_the_remittance_csv_has_the_lines(client, fiona, acme_payout):
    client.force_login(fiona)
    response = client.get(reverse("portal:payout-csv", args=[acme_payout.pk]))
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert acme_payout.end_to_end_id in text
    assert "-200.00" in text
    assert "1050.50" in text
    assert "BNK-REF-9" in text


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_remittance_pdf_names_the_payout(client, fiona, acme_payout):
    client.force_login(fiona)
    response = client.get(reverse("portal:payout-pdf", args=[acme_payout.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert acme_payout.end_to_end_id in text
    assert "BNK-REF-9" in text
    assert "1,050.50" in text


def test_the_pdf_in_chinese_embeds_a_cjk_font_or_falls_back_to_english(client, fiona, acme_payout):
    client.force_login(fiona)
    with translation.override("zh-hans"):
        response = client.get(
            reverse("portal:payout-pdf", args=[acme_payout.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    text = pdf_text(response.content)
    assert acme_payout.end_to_end_id in text
    if remittance.cjk_font():
        assert "汇款通知" in text
    else:
        assert "Remittance advice" in text


def test_the_pdf_without_any_font_file_still_renders(settings, acme_payout, monkeypatch):
    settings.REMITTANCE_CJK_FONT = "/nonexistent/font.ttc"
    monkeypatch.setattr(remittance, "LATIN_FONT_PATTERNS", ("/nonexistent/*.ttf",))
    remittance._font_file.cache_clear()
    try:
        content = remittance.remittance_pdf_bytes(
            acme_payout, list(acme_payout.lines.select_related("statement"))
        )
    finally:
        remittance._font_file.cache_clear()
    assert acme_payout.end_to_end_id in pdf_text(content)


def test_a_returned_payout_says_its_statements_are_paid_again(client, fiona, batch, clerk):
    payout = batch.payouts.get(partner__slug="acme")
    payout_return(payout=payout, reason="Account closed", actor=clerk)
    client.force_login(fiona)
    html = client.get(reverse("portal:payout", args=[payout.pk])).content.decode()
    assert "Returned" in html
    assert "paid in a later batch" in html


def test_the_pages_in_chinese(client, fiona, acme_payout):
    client.force_login(fiona)
    with translation.override("zh-hans"):
        listing = client.get(reverse("portal:payouts"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        detail = client.get(
            reverse("portal:payout", args=[acme_payout.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
    assert "付款" in listing
    assert "汇款通知" in listing
    assert "扣回" in detail


@pytest.mark.parametrize("name", ["portal:payouts", "portal:payout"])
def test_the_pages_cost_the_same_queries_for_one_payout_or_many(
    client, fiona, acme, maker, checker, acme_payout, django_assert_num_queries, name
):
    client.force_login(fiona)
    args = [] if name == "portal:payouts" else [acme_payout.pk]
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse(name, args=args))
    for _ in range(3):
        released_batch(maker=maker, releaser=checker, payouts={acme: ["10.00", "20.00", "-5.00"]})
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(reverse(name, args=args))
