"""Webhook endpoints of partners and the deliveries of signed events to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .core import Partner


class WebhookEndpoint(models.Model):
    """An HTTPS address of a partner that receives the events it chose, signed with a secret
    shown once. The secret is kept encrypted (it is needed to sign); after a rotation the
    previous secret signs too until ``previous_secret_until``."""

    class Event(models.TextChoices):
        STATEMENT_READY = "statement.ready", _("Statement ready")
        STATEMENT_APPROVED = "statement.approved", _("Statement approved")
        KEY_EXPIRING = "key.expiring", _("API key expiring")
        PARTNER_STATUS_CHANGED = "partner.status_changed", _("Partner status changed")
        PARTICIPATION_CHANGED = "participation.changed", _("Participation changed")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # A sandbox endpoint receives the sandbox's events only (``"livemode": false``), a live one
    # the live events only.
    sandbox = models.BooleanField(_("sandbox"), default=False, editable=False)
    secret_encrypted = models.TextField(_("secret (encrypted)"), editable=False)
    secret_hint = models.CharField(_("secret hint"), max_length=12, editable=False)
    previous_secret_encrypted = models.TextField(_("previous secret (encrypted)"), blank=True, editable=False)
    previous_secret_until = models.DateTimeField(
        _("previous secret valid until"), null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Failed attempts in a row, whatever the delivery (a delivered one resets it); at
    # ``WEBHOOK_AUTO_DISABLE_AFTER`` the endpoint is switched off and ``disabled_at`` set.
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0, editable=False)
    disabled_at = models.DateTimeField(
        _("switched off automatically at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ("partner", "url")
        indexes = [
            # Publishing an event: the active endpoints of one partner.
            models.Index(fields=["partner", "is_active"], name="webhook_partner_active_idx"),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one endpoint, with its attempts. While a worker
    sends it the delivery is ``attempting`` and ``next_attempt_at`` is the end of that
    worker's lease (after which the retry sweep takes it over)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ATTEMPTING = "attempting", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    event = models.CharField(_("event"), max_length=40, choices=WebhookEndpoint.Event.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once_per_event"),
        ]
        indexes = [
            # The portal's delivery log of one endpoint, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
