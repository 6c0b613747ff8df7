"""Notifications: one row per recipient of something that happened (a statement is ready, a
webhook endpoint keeps failing…), read in the portal or the staff console, and each member's
choice per kind of whether it also comes by e-mail.

A row stores the kind and the plain-string parameters, never rendered text: the message is
rendered in the reader's language when it is read (``partners.notifications``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .core import Partner


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Empty for the bank's staff; a member reads only those of the partner they are working in.
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # What it is about, as ``app_label.model`` and primary key (no foreign key: any model),
    # and the page about it for this reader, worked out when it was written.
    target_model = models.CharField(_("about (model)"), max_length=60, blank=True)
    target_id = models.CharField(_("about (id)"), max_length=40, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # Non-empty for a notice sent at most once per recipient (a quota threshold in a month).
    once_key = models.CharField(_("once key"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # How it goes out by e-mail, decided from the recipient's preference when it was written
    # ("" for the portal only), and when it went: each is mailed once.
    mail = models.CharField(_("e-mail"), max_length=10, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "once_key"],
                condition=~Q(once_key=""),
                name="notification_once_per_key",
            ),
        ]
        indexes = [
            # The list of one member (in one partner, or staff), newest first.
            models.Index(fields=["recipient", "partner", "-created_at"], name="notification_list_idx"),
            # The bell: the unread count of one member.
            models.Index(
                fields=["recipient", "partner"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # The daily digest: what waits for it.
            models.Index(
                fields=["recipient"],
                condition=Q(mail="digest", emailed_at__isnull=True),
                name="notification_digest_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """How one person wants one kind: in the portal only, or also by e-mail, immediately or in
    the daily digest. Without a row the kind's default applies."""

    class Delivery(models.TextChoices):
        PORTAL = "portal", _("In the portal only")
        IMMEDIATE = "immediate", _("Also by e-mail, immediately")
        DIGEST = "digest", _("Also by e-mail, in a daily digest")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=40)
    delivery = models.CharField(_("delivery"), max_length=10, choices=Delivery.choices)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once"),
            models.CheckConstraint(
                condition=Q(delivery__in=["portal", "immediate", "digest"]),
                name="notification_preference_delivery_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"
