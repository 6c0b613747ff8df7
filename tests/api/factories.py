"""Helpers of the open API tests: partners ready for API traffic, and their keys."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from partners.models import Partner, PartnerDocument
from partners.services.keys import IssuedKey, api_key_issue
from tests.factories import PartnerFactory, StaffFactory

ALL_SCOPES = ("read", "offers", "transactions")


def verified_documents(partner: Partner, *, expires_on=None) -> list[PartnerDocument]:
    """The required KYB documents, verified (rows only: the upload checks have their own tests)."""
    staff = StaffFactory(email="kyb@bank.test")
    return PartnerDocument.objects.bulk_create(
        PartnerDocument(
            partner=partner,
            document_type=document_type,
            file=f"kyb/{partner.pk}/{document_type}.pdf",
            original_name=f"{document_type}.pdf",
            content_type="application/pdf",
            size=100,
            expires_on=expires_on,
            status=PartnerDocument.Status.VERIFIED,
            verified_by=staff,
            verified_at=timezone.now(),
        )
        for document_type in PartnerDocument.REQUIRED_TYPES
    )


def api_partner(slug: str, **fields) -> Partner:
    """An active partner with valid documents."""
    partner = PartnerFactory(slug=slug, display_name=slug.replace("-", " ").title(), **fields)
    verified_documents(partner)
    return partner


def issue(partner: Partner, *, scopes=ALL_SCOPES, name: str = "ERP", **kwargs) -> IssuedKey:
    return api_key_issue(partner=partner, actor=None, name=name, scopes=scopes, channel="erp", **kwargs)


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def deprecation_entry(**fields) -> dict:
    """An ``API_DEPRECATIONS`` entry: ``GET me/`` deprecated 10 days ago, sunset in 90 days."""
    now = timezone.now()
    return {
        "code": "me-route",
        "route": "me",
        "method": "GET",
        "deprecated": (now - timedelta(days=10)).isoformat(),
        "sunset": (now + timedelta(days=90)).isoformat(),
        "replacement": "GET usage/",
        **fields,
    }
