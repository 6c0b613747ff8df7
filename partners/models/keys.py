"""Open API keys of partners, their change rows, usage roll-ups and the access log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from ..keygen import PartnerKeyGenerator
from .core import Partner


class PartnerAPIKeyManager(models.Manager):
    """The package's manager API (``assign_key``) with our key format and hasher."""

    key_generator = PartnerKeyGenerator()

    def assign_key(self, obj: PartnerAPIKey) -> str:
        key, prefix, hashed_key = self.key_generator.generate(sandbox=obj.sandbox)
        # The package's id is "prefix.hash"; ours is the prefix alone, so the hash never
        # appears in admin URLs, logs or foreign keys.
        obj.id = prefix
        obj.prefix = prefix
        obj.hashed_key = hashed_key
        return key


class PartnerAPIKey(AbstractAPIKey):
    """A partner's key for the open API: only its SHA-512 hash is stored; the key itself is
    shown once. ``prefix`` (``fnk_…``) is stored in the clear so a leaked key can be traced.

    A rotated key keeps working until its ``expiry_date`` (moved to the end of the overlap
    window when it was rotated); the key that replaced it points back through ``rotated_from``.
    """

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        ERP = "erp", _("ERP")
        MINI_PROGRAM = "mini_program", _("Mini-program")
        APP = "app", _("App")
        OTHER = "other", _("Other")

    class Scope(models.TextChoices):
        READ = "read", _("Read (every GET)")
        OFFERS = "offers", _("Offers (POST offers)")
        TRANSACTIONS = "transactions", _("Transactions (POST transactions)")

    objects = PartnerAPIKeyManager()

    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=50)
    created = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    revoked = models.BooleanField(_("revoked"), default=False, editable=False)
    expiry_date = models.DateTimeField(
        _("expires at"), help_text=_("Every key expires; a rotated key expires at the end of its overlap.")
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="api_keys"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.OTHER)
    scopes = models.JSONField(_("scopes"), default=list)
    rotated_from = models.OneToOneField(
        "self",
        verbose_name=_("rotated from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="rotated_to",
    )
    rotated_at = models.DateTimeField(_("rotated at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    # A sandbox key (``fnk_sbx_…``) reaches the same routes with test data only: its rows live in
    # the sandbox tables, never in the ledger, statements, funnels or billing (docs/sandbox.md).
    sandbox = models.BooleanField(
        _("sandbox"),
        default=False,
        editable=False,
        help_text=_("A test key: sandbox data only, never real money."),
    )
    # A sandbox key only, encrypted (``core.secrets.fernet(SANDBOX_KEY_LABEL)``): the API docs
    # fill it into their examples for the partner's signed-in members. A live key is never kept.
    sandbox_secret = models.TextField(_("sandbox key (encrypted)"), blank=True, default="", editable=False)
    # Set once by the daily sweep when the partner was told the key expires soon.
    expiry_notified_at = models.DateTimeField(_("expiry notified at"), null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ("-created",)
        indexes = [
            # The portal's key list and "keys of a partner" in the admin.
            models.Index(fields=["partner", "revoked", "expiry_date"], name="apikey_partner_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked=False) | models.Q(revoked_at__isnull=False),
                name="apikey_revoked_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(sandbox=True) | models.Q(sandbox_secret=""),
                name="apikey_live_secret_never_kept",
            ),
        ]
        permissions = [("revoke_partnerapikey", _("Can revoke and rotate partner API keys"))]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_usable(self) -> bool:
        return not self.revoked and self.expiry_date > timezone.now()

    @property
    def state(self) -> str:
        if self.revoked:
            return "revoked"
        if self.expiry_date <= timezone.now():
            return "expired"
        if self.rotated_at:
            return "rotating"
        return "active"


class PartnerAPIKeyEvent(models.Model):
    """One row per state change of a key: issued, rotated, revoked (who, when, why)."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("Issued")
        ROTATED = "rotated", _("Rotated")
        REVOKED = "revoked", _("Revoked")

    key = models.ForeignKey(
        PartnerAPIKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("API key event")
        verbose_name_plural = _("API key events")
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.key_id}: {self.action}"


class ApiUsage(models.Model):
    """Calls and errors of one key on one endpoint on one day (Asia/Shanghai), rolled up from
    the cache counters by the periodic flush."""

    key = models.ForeignKey(
        PartnerAPIKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="api_usage"
    )
    day = models.DateField(_("day"))
    endpoint = models.CharField(_("endpoint"), max_length=120)
    calls = models.PositiveIntegerField(_("calls"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)

    class Meta:
        verbose_name = _("API usage")
        verbose_name_plural = _("API usage")
        ordering = ("-day", "endpoint")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "day", "endpoint"], name="apiusage_key_day_endpoint_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(errors__lte=models.F("calls")), name="apiusage_errors_le_calls"
            ),
        ]
        indexes = [
            # GET usage/ and the portal's usage chart: a partner's rows by day.
            models.Index(fields=["partner", "day"], name="apiusage_partner_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key_id} {self.day} {self.endpoint}: {self.calls}"


class ApiAccessLog(models.Model):
    """One row per API call: never the key itself, never a request body."""

    at = models.DateTimeField(_("at"))
    key_prefix = models.CharField(_("key prefix"), max_length=16, blank=True)
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        # Buffered bulk inserts never fail on a partner row; partners are never deleted anyway.
        db_constraint=False,
    )
    method = models.CharField(_("method"), max_length=8)
    route = models.CharField(_("route"), max_length=120)
    path = models.CharField(_("path"), max_length=200)
    status = models.PositiveSmallIntegerField(_("status"))
    latency_ms = models.PositiveIntegerField(_("latency (ms)"))
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("API access log entry")
        verbose_name_plural = _("API access log")
        ordering = ("-at",)
        indexes = [
            # The retention prune deletes by time; the admin lists newest first.
            models.Index(fields=["at"], name="apiaccess_at_idx"),
            # Tracing a leaked key: every call of one prefix.
            models.Index(fields=["key_prefix", "at"], name="apiaccess_prefix_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status}"
