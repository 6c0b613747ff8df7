"""KYB files are served only through views that check who is asking: the partner's owners and
admins in the portal, staff with the view permission in the admin; everyone else gets a 404
(another partner's file too). No public media route exists, not even with DEBUG."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth.models import Permission
from django.urls import clear_url_caches, reverse

from partners.models import PartnerDocument
from tests.factories import MembershipFactory, StaffFactory, UserFactory

from .factories import PDF, add_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(acme, manager):
    return add_document(acme, manager, PartnerDocument.DocumentType.BUSINESS_LICENCE, verify=False)


def _url(document) -> str:
    return reverse("partners:document", args=[document.pk])


def _assert_served(response, document):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.original_name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_the_partners_owners_and_admins_download_its_documents(client, acme, document, role):
    client.force_login(
        MembershipFactory(partner=acme, user=UserFactory(email=f"{role}@acme.test"), role=role).user
    )

    _assert_served(client.get(_url(document)), document)


@pytest.mark.parametrize("role", ["developer", "finance", "viewer"])
def test_other_members_of_the_partner_get_a_404(client, acme, document, role):
    client.force_login(
        MembershipFactory(partner=acme, user=UserFactory(email=f"{role}@acme.test"), role=role).user
    )

    assert client.get(_url(document)).status_code == 404


def test_another_partners_owner_gets_a_404(client, charlie, document):
    client.force_login(charlie)

    assert client.get(_url(document)).status_code == 404


def test_an_unknown_document_is_a_404(client, alice, document):
    client.force_login(alice)

    assert client.get(reverse("partners:document", args=[document.pk + 1000])).status_code == 404


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client, document):
    response = client.get(_url(document))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_download_from_the_admin_with_the_view_permission(client, auditor, document):
    client.force_login(auditor)

    response = client.get(reverse("admin:partners_partnerdocument_download", args=[document.pk]))

    _assert_served(response, document)


def test_staff_without_the_view_permission_cannot_download(client, document):
    clerk = StaffFactory(email="clerk@bank.test")
    clerk.user_permissions.add(Permission.objects.get(codename="view_partner"))
    client.force_login(clerk)

    assert (
        client.get(reverse("admin:partners_partnerdocument_download", args=[document.pk])).status_code == 403
    )
    assert client.get(_url(document)).status_code == 404


def test_the_media_url_serves_nothing_even_with_debug(client, settings, alice, document):
    import portal.urls

    settings.DEBUG = True
    importlib.reload(portal.urls)
    clear_url_caches()
    try:
        client.force_login(alice)
        response = client.get(document.file.url)
        assert document.file.url.startswith("/media/kyb/")
        assert response.status_code == 404
    finally:
        settings.DEBUG = False
        importlib.reload(portal.urls)
        clear_url_caches()


def test_the_application_page_links_owners_to_their_documents(client, alice, acme, document):
    acme.status = "draft"
    acme.save(update_fields=["status"])
    client.force_login(alice)

    page = client.get(reverse("portal:application")).content.decode()

    assert f'href="{_url(document)}"' in page


def test_a_terminated_partners_owner_gets_a_404(client, alice, acme, document):
    acme.status = "terminated"
    acme.save(update_fields=["status"])
    client.force_login(alice)

    assert client.get(_url(document)).status_code == 404


def test_a_suspended_partners_owner_still_downloads(client, alice, acme, document):
    acme.status = "suspended"
    acme.save(update_fields=["status"])
    client.force_login(alice)

    _assert_served(client.get(_url(document)), document)
