"""API keys: issue (shown once), rotate with an overlap window, revoke; the daily
"expiring soon" sweep. Every change writes a ``PartnerAPIKeyEvent`` and drops the cached
verification of the key, so the very next request sees it.

``actor`` is the user acting (staff with the permission, or a partner's owner, admin or
developer); ``None`` means an operator on the command line (``issue_api_key``,
``revoke_api_key``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.secrets import fernet

from ..exceptions import ApiKeyInvalid
from ..keycache import key_forget
from ..models import Partner, PartnerAPIKey, PartnerAPIKeyEvent
from ..notifications import notify
from ..selectors import (
    SANDBOX_KEY_LABEL,
    partner_ensure_can_issue_api_keys,
    partner_ensure_can_issue_sandbox_keys,
    partner_usable_sandbox_keys,
)
from ._access import require_staff_perm_or_role
from .webhooks import webhook_event_publish

logger = logging.getLogger(__name__)

Action = PartnerAPIKeyEvent.Action
KEY_MANAGER_ROLES = ("owner", "admin", "developer")


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``key`` is the only copy of the secret; show it once, never store it."""

    api_key: PartnerAPIKey
    key: str


def _require_key_manager(actor, partner: Partner, perm: str) -> None:
    if actor is None:  # an operator on the command line
        return
    require_staff_perm_or_role(actor, partner, perm, KEY_MANAGER_ROLES)


def _clean_scopes(scopes) -> list[str]:
    known = PartnerAPIKey.Scope.values
    chosen = sorted({str(s).strip() for s in scopes if str(s).strip()})
    unknown = [s for s in chosen if s not in known]
    if unknown:
        raise ApiKeyInvalid(
            _("Unknown scope: %(scopes)s. Choose from %(known)s.")
            % {"scopes": ", ".join(unknown), "known": ", ".join(known)},
            field="scopes",
        )
    if not chosen:
        raise ApiKeyInvalid(_("Choose at least one scope."), field="scopes")
    return chosen


def _expiry(expires_at: datetime | None) -> datetime:
    now = timezone.now()
    if expires_at is None:
        return now + settings.API_KEY_DEFAULT_LIFETIME
    if expires_at <= now:
        raise ApiKeyInvalid(_("The expiry must be in the future."), field="expires_at")
    if expires_at > now + settings.API_KEY_MAX_LIFETIME:
        raise ApiKeyInvalid(
            _("A key lives at most %(days)d days.") % {"days": settings.API_KEY_MAX_LIFETIME.days},
            field="expires_at",
        )
    return expires_at


def _forget(prefix: str) -> None:
    transaction.on_commit(lambda: key_forget(prefix))


def api_key_issue(
    *,
    partner: Partner,
    actor,
    name: str,
    scopes,
    channel: str = PartnerAPIKey.Channel.OTHER,
    expires_at: datetime | None = None,
    reason: str = "",
    rotated_from: PartnerAPIKey | None = None,
    sandbox: bool = False,
) -> IssuedKey:
    """A new key for an active partner whose required documents are valid. A ``sandbox`` key
    (``fnk_sbx_…``, test data only) needs only a submitted application, or a partner under
    review, approved or active, and at most ``API_SANDBOX_KEYS_MAX`` of them are usable at once
    (a rotation replaces one, so it is never refused for the limit)."""
    _require_key_manager(actor, partner, "partners.add_partnerapikey")
    if sandbox:
        partner_ensure_can_issue_sandbox_keys(partner=partner)
    else:
        partner_ensure_can_issue_api_keys(partner=partner)
    name = (name or "").strip()
    if not name:
        raise ApiKeyInvalid(_("Give the key a name."), field="name")
    if len(name) > 50:
        raise ApiKeyInvalid(_("A key name has at most 50 characters."), field="name")
    if channel not in PartnerAPIKey.Channel.values:
        raise ApiKeyInvalid(_("Choose a channel."), field="channel")
    api_key = PartnerAPIKey(
        partner=partner,
        name=name,
        channel=channel,
        scopes=_clean_scopes(scopes),
        expiry_date=_expiry(expires_at),
        created_by=actor,
        rotated_from=rotated_from,
        sandbox=sandbox,
    )
    key = PartnerAPIKey.objects.assign_key(api_key)
    if sandbox:
        api_key.sandbox_secret = fernet(SANDBOX_KEY_LABEL).encrypt(key.encode()).decode()
    with transaction.atomic():
        if sandbox and rotated_from is None:
            _sandbox_keys_limit(partner)
        api_key.save(force_insert=True)
        PartnerAPIKeyEvent.objects.create(key=api_key, action=Action.ISSUED, actor=actor, reason=reason)
    logger.info("API key %s issued to partner %s", api_key.prefix, partner.slug)
    return IssuedKey(api_key=api_key, key=key)


def _sandbox_keys_limit(partner: Partner) -> None:
    """Refuse one sandbox key too many. Locks the partner's row for the rest of the
    transaction, so two requests at once cannot both take the last place."""
    Partner.objects.select_for_update().filter(pk=partner.pk).values_list("pk").first()
    limit = settings.API_SANDBOX_KEYS_MAX
    if partner_usable_sandbox_keys(partner=partner) >= limit:
        raise ApiKeyInvalid(
            _("A partner has at most %(limit)d usable sandbox keys: revoke one you no longer use.")
            % {"limit": limit},
            code="sandbox_key_limit",
        )


def api_key_rotate(
    *, api_key: PartnerAPIKey, actor, overlap: timedelta | None = None, reason: str = ""
) -> IssuedKey:
    """A new key with the same name, channel, scopes and lifetime policy; the old one keeps
    working until the end of the overlap window (``API_KEY_ROTATION_OVERLAP`` by default),
    then answers 401."""
    _require_key_manager(actor, api_key.partner, "partners.revoke_partnerapikey")
    overlap = settings.API_KEY_ROTATION_OVERLAP if overlap is None else overlap
    if overlap < timedelta(0) or overlap > settings.API_KEY_MAX_ROTATION_OVERLAP:
        raise ApiKeyInvalid(
            _("The overlap is between 0 and %(hours)d hours.")
            % {"hours": settings.API_KEY_MAX_ROTATION_OVERLAP // timedelta(hours=1)},
            field="overlap",
        )
    now = timezone.now()
    with transaction.atomic():
        old = PartnerAPIKey.objects.select_for_update().select_related("partner").get(pk=api_key.pk)
        if old.revoked or old.expiry_date <= now:
            raise ApiKeyInvalid(
                _("Only a usable key can be rotated: issue a new one."), code="key_not_usable"
            )
        if PartnerAPIKey.objects.filter(rotated_from=old).exists():
            raise ApiKeyInvalid(_("This key has already been rotated."), code="key_already_rotated")
        issued = api_key_issue(
            partner=old.partner,
            actor=actor,
            name=old.name,
            scopes=old.scopes,
            channel=old.channel,
            reason=reason or _("rotation of %(prefix)s") % {"prefix": old.prefix},
            rotated_from=old,
            sandbox=old.sandbox,
        )
        old.rotated_at = now
        old.expiry_date = min(old.expiry_date, now + overlap)
        old.save(update_fields=["rotated_at", "expiry_date"])
        PartnerAPIKeyEvent.objects.create(
            key=old,
            action=Action.ROTATED,
            actor=actor,
            reason=reason
            or _("replaced by %(prefix)s; works until %(until)s")
            % {"prefix": issued.api_key.prefix, "until": old.expiry_date.isoformat()},
        )
        _forget(old.prefix)
    api_key.rotated_at, api_key.expiry_date = old.rotated_at, old.expiry_date
    logger.info("API key %s rotated to %s", old.prefix, issued.api_key.prefix)
    return issued


def api_key_revoke(*, api_key: PartnerAPIKey, actor, reason: str) -> PartnerAPIKey:
    """Refused from the very next request; cannot be undone."""
    _require_key_manager(actor, api_key.partner, "partners.revoke_partnerapikey")
    reason = (reason or "").strip()
    if not reason:
        raise ApiKeyInvalid(_("Give a reason for this change."), field="reason")
    with transaction.atomic():
        locked = PartnerAPIKey.objects.select_for_update().get(pk=api_key.pk)
        if locked.revoked:
            raise ApiKeyInvalid(_("This key is already revoked."), code="key_revoked")
        locked.revoked = True
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked", "revoked_at"])
        PartnerAPIKeyEvent.objects.create(key=locked, action=Action.REVOKED, actor=actor, reason=reason)
        _forget(locked.prefix)
    logger.info("API key %s revoked", locked.prefix)
    api_key.revoked, api_key.revoked_at = True, locked.revoked_at
    return api_key


def api_key_touch(*, key_id: str, at: datetime) -> None:
    """Record the last use (authentication calls this at most once a minute per key)."""
    PartnerAPIKey.objects.filter(pk=key_id).update(last_used_at=at)


__all__ = [
    "IssuedKey",
    "api_key_expiry_sweep",
    "api_key_issue",
    "api_key_revoke",
    "api_key_rotate",
    "api_key_touch",
]


def api_key_expiry_sweep(*, now: datetime | None = None) -> int:
    """Daily: publish ``key.expiring`` once for each usable key that expires within
    ``API_KEY_EXPIRY_WARNING_DAYS`` (rotated keys in their overlap excepted); how many."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.API_KEY_EXPIRY_WARNING_DAYS)
    with transaction.atomic():
        keys = list(
            PartnerAPIKey.objects.select_for_update()
            .select_related("partner")
            .filter(
                revoked=False,
                rotated_at__isnull=True,
                expiry_notified_at__isnull=True,
                expiry_date__gt=now,
                expiry_date__lte=horizon,
            )
            .order_by("pk")
        )
        for api_key in keys:
            notify(
                kind="key.expiring",
                partner=api_key.partner,
                target=api_key,
                params={
                    "key": api_key.name,
                    "prefix": api_key.prefix,
                    "expires": timezone.localtime(api_key.expiry_date).strftime("%Y-%m-%d %H:%M"),
                },
            )
            webhook_event_publish(
                partner=api_key.partner,
                event="key.expiring",
                payload={
                    "prefix": api_key.prefix,
                    "name": api_key.name,
                    "expires_at": api_key.expiry_date.isoformat(),
                },
            )
        PartnerAPIKey.objects.filter(pk__in=[k.pk for k in keys]).update(expiry_notified_at=now)
    logger.info("key expiry sweep: %d keys expiring by %s", len(keys), horizon.isoformat())
    return len(keys)
