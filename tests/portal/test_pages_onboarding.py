"""The onboarding wizard of a new company and the application status page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners import services
from partners.exceptions import ReviewIncomplete
from partners.models import Membership, Partner, PartnerDocument
from tests.factories import IndustryFactory, UserFactory, _credit_code
from tests.partners.factories import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def applicant(client):
    user = UserFactory(email="dora@newco.test")
    client.force_login(user)
    return user


@pytest.fixture
def travel(db):
    return IndustryFactory(code="travel", name="Travel")


def company(**overrides):
    data = {
        "legal_name": "NewCo Travel Ltd.",
        "display_name": "NewCo Travel",
        "credit_code": _credit_code(424242),
        "website": "https://newco.test",
    }
    return {**data, **overrides}


def test_the_first_step_creates_a_draft_with_the_applicant_as_owner(client, applicant, travel):
    response = client.post(reverse("portal:apply"), company(industry=travel.pk))

    assert response["Location"] == reverse("portal:apply-contacts")
    partner = Partner.objects.get(display_name="NewCo Travel")
    assert partner.status == Partner.Status.DRAFT
    assert partner.slug == "newco-travel"
    assert Membership.objects.get(partner=partner).user == applicant
    assert Membership.objects.get(partner=partner).role == "owner"


def test_a_wrong_credit_code_is_refused_with_the_rule_it_breaks(client, applicant, travel):
    code = _credit_code(1)
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")

    response = client.post(reverse("portal:apply"), company(industry=travel.pk, credit_code=bad))

    assert response.status_code == 200
    assert "check character" in response.content.decode()
    assert not Partner.objects.exists()


def test_a_credit_code_already_registered_is_refused(client, applicant, travel, acme):
    response = client.post(reverse("portal:apply"), company(industry=travel.pk, credit_code=acme.credit_code))

    assert response.status_code == 200
    assert Partner.objects.count() == 1


def test_the_wizard_runs_to_submission(client, applicant, travel):
    client.post(reverse("portal:apply"), company(industry=travel.pk))
    client.post(
        reverse("portal:apply-contacts"),
        {"contact_name": "Dora", "contact_email": "dora@newco.test", "contact_phone": "+86 10 1234"},
    )
    review = client.get(reverse("portal:apply-review")).content.decode()
    assert "Still missing" in review
    for document_type in PartnerDocument.REQUIRED_TYPES:
        response = client.post(
            reverse("portal:apply-documents"),
            {"document_type": document_type, "file": SimpleUploadedFile("doc.pdf", PDF, "application/pdf")},
        )
        assert response.status_code == 302

    response = client.post(reverse("portal:apply-review"))

    assert response["Location"] == reverse("portal:application")
    partner = Partner.objects.get()
    assert partner.status == Partner.Status.SUBMITTED
    assert partner.contact_phone == "+86 10 1234"
    assert "Submitted" in client.get(reverse("portal:application")).content.decode()


def test_a_file_that_is_not_a_document_is_refused_on_its_field(client, applicant, travel):
    client.post(reverse("portal:apply"), company(industry=travel.pk))

    response = client.post(
        reverse("portal:apply-documents"),
        {
            "document_type": "business_licence",
            "file": SimpleUploadedFile("x.pdf", b"MZ not a pdf", "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert "Only PDF, JPEG and PNG" in response.content.decode()
    assert not PartnerDocument.objects.exists()


def test_a_submitted_application_can_no_longer_be_edited(client, alice, acme):
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.SUBMITTED)
    client.force_login(alice)

    assert client.get(reverse("portal:apply-contacts"))["Location"] == reverse("portal:application")
    assert client.get(reverse("portal:apply"))["Location"] == reverse("portal:application")


def test_a_developer_cannot_change_the_application(client, bob, acme):
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.DRAFT)
    client.force_login(bob)

    assert client.post(reverse("portal:apply-contacts"), {"contact_name": "x"}).status_code == 403


def test_a_staff_decision_reaches_the_applicant_by_mail_and_on_the_page(
    client, alice, acme, manager, django_capture_on_commit_callbacks
):
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.UNDER_REVIEW)
    acme.refresh_from_db()
    mail.outbox.clear()

    with pytest.raises(ReviewIncomplete), django_capture_on_commit_callbacks(execute=True):
        services.partner_approve(partner=acme, actor=manager)  # refused: nobody is told
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_reject(partner=acme, actor=manager, reason="The licence scan is illegible.")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@acme.test"]
    assert "Rejected" in mail.outbox[0].subject
    assert "The licence scan is illegible." in mail.outbox[0].body
    client.force_login(alice)
    page = client.get(reverse("portal:application")).content.decode()
    assert "The licence scan is illegible." in page


def test_an_outsider_never_sees_another_partner_s_application(client, charlie, acme):
    Partner.objects.filter(pk=acme.pk).update(status=Partner.Status.DRAFT)
    client.force_login(charlie)

    page = client.get(reverse("portal:application")).content.decode()

    assert "Acme Travel" not in page
