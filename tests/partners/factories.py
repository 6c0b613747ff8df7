"""Helpers and factories of the partners tests."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners import services
from partners.demo import demo_pdf, demo_png
from partners.models import Partner, PartnerDocument
from tests.factories import PartnerFactory, StaffFactory

PDF = demo_pdf("Test document")
PNG = demo_png()
# A minimal JPEG: SOI, an APP0/JFIF segment, EOI. filetype recognises it by its first bytes.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def upload(content: bytes = PDF, name: str = "licence.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def add_document(partner: Partner, actor, document_type: str, *, verify: bool = True, expires_on=None):
    document = services.document_upload(
        partner=partner, actor=actor, document_type=document_type, upload=upload(), expires_on=expires_on
    )
    if verify:
        services.document_verify(document=document, actor=actor)
    return document


def add_required_documents(
    partner: Partner, actor, *, verify: bool = True, expires_on=None
) -> list[PartnerDocument]:
    return [
        add_document(partner, actor, document_type, verify=verify, expires_on=expires_on)
        for document_type in PartnerDocument.REQUIRED_TYPES
    ]


def kyb_verifier():
    """The staff member who checked a reviewable partner's documents and credit code: a
    maker of its application (``partner_makers``), so never its approver."""
    return StaffFactory(email="kyb-verifier@bank.test", is_superuser=True)


def make_reviewable(*, actor, status: str = Partner.Status.DRAFT, verifier=None, **fields) -> Partner:
    """A partner with contact details, verified required documents, a verified credit code,
    a risk rating and a relationship manager: every precondition of every move holds.
    ``actor`` uploads the documents; ``verifier`` (another staff member unless given) verifies
    them and the credit code, so ``actor`` may still approve."""
    verifier = verifier or kyb_verifier()
    defaults = {
        "status": Partner.Status.DRAFT,
        "contact_name": "Ann Applicant",
        "contact_email": "ann@applicant.test",
        "risk_rating": "low",
        "relationship_manager": StaffFactory(email="rm@bank.test"),
        "credit_code_verified_at": timezone.now() - timedelta(days=1),
        "credit_code_verified_by": verifier,
    }
    partner = PartnerFactory(**{**defaults, **fields})
    for document in add_required_documents(partner, actor, verify=False):
        services.document_verify(document=document, actor=verifier)
    Partner.objects.filter(pk=partner.pk).update(status=status)
    partner.refresh_from_db()
    return partner
