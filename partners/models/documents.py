"""KYB documents: the files staff check before a partner is approved, and keep current."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .core import Partner


def document_upload_to(document: PartnerDocument, filename: str) -> str:
    """A path nobody can guess; the extension comes from the sniffed content, not the name."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"kyb/{document.partner_id}/{uuid.uuid4().hex}.{extension}"


class PartnerDocument(models.Model):
    """A KYB file of a partner: a business licence, an authorisation letter, an agreement…"""

    class DocumentType(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("Business licence")
        AUTHORISATION_LETTER = "authorisation_letter", _("Authorisation letter")
        COOPERATION_AGREEMENT = "cooperation_agreement", _("Cooperation agreement")
        LEGAL_REPRESENTATIVE_ID = "legal_representative_id", _("Legal representative's ID")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    # The documents every partner must keep verified and unexpired: approval needs them, and a
    # partner missing one cannot get new API keys.
    REQUIRED_TYPES = (
        DocumentType.BUSINESS_LICENCE,
        DocumentType.AUTHORISATION_LETTER,
        DocumentType.COOPERATION_AGREEMENT,
    )

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="documents"
    )
    document_type = models.CharField(_("document type"), max_length=30, choices=DocumentType.choices)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=50, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"), editable=False)
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("Leave empty for a document valid without limit.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, editable=False
    )
    status_reason = models.TextField(_("status reason"), blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True, editable=False)
    # Set once by the daily sweep when the document comes within the warning window.
    expiry_flagged_at = models.DateTimeField(_("expiry flagged at"), null=True, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner document")
        verbose_name_plural = _("partner documents")
        ordering = ("partner", "document_type", "-uploaded_at")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="verified")
                | models.Q(verified_by__isnull=False, verified_at__isnull=False),
                name="partner_document_verified_has_verifier",
            ),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="partner_document_not_empty"),
        ]
        indexes = [
            # The daily expiry sweep: documents by expiry date and status.
            models.Index(fields=["expires_on", "status"], name="partner_document_expiry_idx"),
            # "Required documents valid" for one partner (key issuance, approval checklist).
            models.Index(fields=["partner", "document_type", "status"], name="partner_document_type_idx"),
        ]
        permissions = [
            ("verify_partnerdocument", _("Can verify or reject a partner document")),
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.get_document_type_display()}"

    def is_valid_on(self, day) -> bool:
        """Verified and not expired on ``day`` (a business date)."""
        return self.status == self.Status.VERIFIED and (self.expires_on is None or self.expires_on >= day)
