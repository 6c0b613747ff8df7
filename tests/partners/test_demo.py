"""The partners part of seed_demo."""

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from partners.models import Membership, Partner, PartnerStatusChange
from partners.selectors import partner_required_documents_valid


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--password", "demo-pass-2026", stdout=StringIO())


@pytest.mark.django_db
def test_the_seed_has_partners_in_several_lifecycle_states(seeded):
    statuses = dict(Partner.objects.values_list("slug", "status"))

    assert statuses["skyway-travel"] == statuses["greenleaf-community"] == "active"
    assert Partner.objects.get(slug="skyway-travel").industry.code == "travel"
    assert Partner.objects.get(slug="greenleaf-community").industry.code == "community"
    assert Partner.objects.filter(industry__code="ecommerce").exists()
    assert Partner.objects.filter(industry__code="maternal-infant").exists()
    assert len(set(statuses.values())) >= 3


@pytest.mark.django_db
def test_active_demo_partners_went_through_the_lifecycle_and_have_valid_documents(seeded):
    for slug in ("skyway-travel", "greenleaf-community"):
        partner = Partner.objects.get(slug=slug)
        moves = list(
            PartnerStatusChange.objects.filter(partner=partner)
            .order_by("changed_at", "id")
            .values_list("to_status", flat=True)
        )
        assert moves == ["submitted", "under_review", "approved", "active"]
        assert partner_required_documents_valid(partner=partner)
        assert partner.documents.filter(content_type="application/pdf").exists()
        assert partner.documents.filter(content_type="image/png").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["owner@skyway-travel.demo", "owner@greenleaf-community.demo"])
def test_the_demo_owners_log_in_with_a_verified_address(seeded, client, email):
    membership = Membership.objects.select_related("user").get(user__email=email)

    assert membership.role == "owner"
    assert EmailAddress.objects.get(user=membership.user, email=email).verified
    response = client.post("/accounts/login/", {"login": email, "password": "demo-pass-2026"})
    assert response.status_code == 302
