"""The agreement's admin page: a sent agreement offers *Record a signed acceptance* to a finance
maker but not to the checker who sent it (who reads why); the upload is checked by its content;
the signed copy downloads from the admin; a sent or declined agreement goes back to a draft."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from revenue import services
from revenue.models import Agreement

from .factories import finance_staff

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def recorder(staff_roles):
    return finance_staff(staff_roles, "recorder@bank.example", "Finance makers")


@pytest.fixture
def sent(maker, checker, partner, scenario):
    agreement = services.agreement_create(
        actor=maker, partner=partner, scenario=scenario, model="percentage", terms={"rate": "0.3"},
        cycle="monthly", effective_from=date(2026, 1, 1),
    )  # fmt: skip
    services.agreement_submit(agreement=agreement, actor=maker)
    return services.agreement_approve(agreement=agreement, actor=checker)


def change_page(client, agreement) -> str:
    return client.get(reverse("admin:revenue_agreement_change", args=[agreement.pk])).content.decode()


def test_the_checker_who_sent_it_is_not_offered_the_recording_and_is_refused_it(
    client, checker, sent, staff_roles
):
    checker.groups.add(staff_roles["Finance makers"])  # holding the permission too
    client.force_login(checker)

    page = change_page(client, sent)
    response = client.post(
        reverse("admin:revenue_agreement_record_acceptance", args=[sent.pk]),
        {"signatory": "Li Wei", "signed_copy": SimpleUploadedFile("s.pdf", PDF)},
    )

    assert "You approved and sent this agreement: another person records its acceptance." in page
    assert reverse("admin:revenue_agreement_record_acceptance", args=[sent.pk]) not in page
    assert "Maker-checker" in response.content.decode()
    assert Agreement.objects.get(pk=sent.pk).status == "sent"


def test_a_finance_maker_records_the_signed_copy_and_downloads_it(client, recorder, sent):
    client.force_login(recorder)
    url = reverse("admin:revenue_agreement_record_acceptance", args=[sent.pk])
    assert url in change_page(client, sent)

    response = client.post(url, {"signatory": "Li Wei, CFO", "signed_copy": SimpleUploadedFile("s.pdf", PDF)})

    assert response.status_code == 302
    sent.refresh_from_db()
    assert (sent.status, sent.acceptance, sent.accepted_by) == ("active", "offline", recorder)
    page = change_page(client, sent)
    assert "Li Wei, CFO" in page
    assert sent.terms_sha256 in page
    download = client.get(reverse("admin:revenue_agreement_signed_copy", args=[sent.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF


def test_a_signed_copy_that_is_not_a_pdf_or_image_is_refused_on_the_form(client, recorder, sent):
    client.force_login(recorder)

    response = client.post(
        reverse("admin:revenue_agreement_record_acceptance", args=[sent.pk]),
        {"signatory": "Li Wei", "signed_copy": SimpleUploadedFile("s.pdf", b"<html>not a pdf</html>")},
    )

    assert "Only PDF, JPEG and PNG files are accepted" in response.content.decode()
    sent.refresh_from_db()
    assert (sent.status, sent.signed_copy.name) == ("sent", "")


def test_staff_withdraw_a_sent_agreement_to_a_draft(client, maker, sent):
    client.force_login(maker)
    url = reverse("admin:revenue_agreement_revise", args=[sent.pk])
    assert url in change_page(client, sent)

    client.post(url, {"reason": "wrong start date"})

    assert Agreement.objects.get(pk=sent.pk).status == "draft"
