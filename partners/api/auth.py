"""API key authentication: ``Authorization: Api-Key <key>``.

The hot path costs no query: the key's verification record (by prefix) and the partner's
status record (``partners.cache.partner_cache_key``) are cached — in Redis when there is one,
else in dicts of this process checked against the epoch file of ``partners.cache`` (one
``stat``) — and both are dropped when they change (key rotated or revoked, partner moved
through its lifecycle, a document verified, rejected or expired), in every process, so a
revocation or suspension is refused on the very next request. A required KYB document that
expires is noticed the same day: the partner record remembers the business date its documents
were checked on and is rebuilt on the next date.
"""

from __future__ import annotations

import hmac
import time
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from ..cache import epoch, epoch_touch, partner_cache_key
from ..keygen import MAX_KEY_LENGTH, key_hash, split_key
from ..models import Partner, PartnerAPIKey, PartnerDocument
from ..selectors import partner_document_gaps
from ..services.keys import api_key_cache_key, api_key_touch
from .clock import business_day
from .counters import bump, shared_cache
from .throttling import Throttled

KEYWORD = "Api-Key"
# How long a verification record lives in the cache. It is dropped on every change anyway: in
# Redis by every process, and on the embedded default (a dict per process) through the epoch
# file of ``partners.cache``, so a ``revoke_api_key`` in a shell reaches the web server at once.
KEY_RECORD_SECONDS = 300
PARTNER_RECORD_SECONDS = 60
# ``last_used_at`` is written at most once per this many seconds per key.
TOUCH_SECONDS = 60
_MISSING = "missing"
# prefix → when this process last recorded a use (time.time()).
_touched: dict[str, float] = {}


class KeyRecord(NamedTuple):
    id: str
    prefix: str
    hashed_key: str
    partner_id: int
    scopes: tuple[str, ...]
    expires_at: float  # a POSIX timestamp: cheap to compare on every request
    revoked: bool
    expires_iso: str  # as ``me/`` shows it (Asia/Shanghai)


class PartnerRecord(NamedTuple):
    id: int
    slug: str
    name: str
    industry: str
    industry_id: int
    tier: str
    status: str
    checked_on: str  # the business date the documents were checked on
    document_gaps: tuple[str, ...]


_PARTNER_FIELDS = len(PartnerRecord._fields)


class ApiClient:
    """``request.user`` of an API request: the partner's machine behind a key. ``partner`` is
    a ``Partner`` built from the cached record (no query) for selectors and services."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    pk = None

    def __init__(self, key: KeyRecord, partner: PartnerRecord):
        self.key = key
        self.partner_record = partner

    @cached_property
    def partner(self) -> Partner:
        p = self.partner_record
        partner = Partner(
            id=p.id, slug=p.slug, display_name=p.name, industry_id=p.industry_id, tier=p.tier, status=p.status
        )
        partner._state.adding = False
        partner._state.db = "default"
        return partner

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.key.scopes

    def __str__(self) -> str:
        return f"api-key:{self.key.prefix}"


def _load_key(prefix: str) -> KeyRecord | None:
    row = (
        PartnerAPIKey.objects.filter(prefix=prefix)
        .values_list("id", "prefix", "hashed_key", "partner_id", "scopes", "expiry_date", "revoked")
        .first()
    )
    if row is None:
        return None
    key_id, prefix, hashed, partner_id, scopes, expiry, revoked = row
    return KeyRecord(
        key_id,
        prefix,
        hashed,
        partner_id,
        tuple(scopes or ()),
        expiry.timestamp(),
        revoked,
        timezone.localtime(expiry).isoformat(),
    )


# Key records in this process when the cache is local memory (no pickling, no key checks):
# prefix → (record, expires at). ``forget_key`` drops an entry; with Redis the shared cache is
# used instead, so a revocation in any process reaches every other one at once.
_local_keys: dict[str, tuple[KeyRecord | str, float]] = {}


_local_partners: dict[int, tuple[PartnerRecord, float]] = {}
_seen_epoch: list[tuple[int, int]] = [(0, 0)]


def forget_key(prefix: str) -> None:
    _local_keys.pop(prefix, None)
    cache.delete(api_key_cache_key(prefix))
    epoch_touch()


def _local_fresh() -> None:
    """Local-memory mode: drop this process's records when another process (or this one)
    changed a verification since the last call (``partners.cache``)."""
    current = epoch()
    if current != _seen_epoch[0]:
        _local_keys.clear()
        _local_partners.clear()
        _seen_epoch[0] = current


def key_record(prefix: str) -> KeyRecord | None:
    if shared_cache():
        cache_key = api_key_cache_key(prefix)
        record = cache.get(cache_key)
        if record is None:
            record = _load_key(prefix) or _MISSING
            # An unknown prefix is remembered briefly: a flood of made-up keys costs no queries.
            cache.set(cache_key, record, KEY_RECORD_SECONDS if record != _MISSING else 30)
    else:
        _local_fresh()
        now = time.monotonic()
        record, expires = _local_keys.get(prefix, (None, 0.0))
        if record is None or expires <= now:
            record = _load_key(prefix) or _MISSING
            # An unknown prefix is remembered briefly, as in the shared cache.
            _local_keys[prefix] = (record, now + (KEY_RECORD_SECONDS if record != _MISSING else 30))
    return None if record == _MISSING else record


def partner_record(partner_id: int) -> PartnerRecord:
    today = business_day()
    shared = shared_cache()
    if shared:
        # Stored as a plain tuple: a deploy that changes the record's fields finds an old entry
        # of another length and rebuilds it instead of failing to unpickle it.
        cached = cache.get(partner_cache_key(partner_id))
        record = (
            PartnerRecord._make(cached) if type(cached) is tuple and len(cached) == _PARTNER_FIELDS else None
        )
    else:
        # Checked against the epoch by ``key_record`` just before.
        record, expires = _local_partners.get(partner_id, (None, 0.0))
        if expires <= time.monotonic():
            record = None
    if record is None or record.checked_on != today:
        partner = Partner.objects.select_related("industry").get(pk=partner_id)
        gaps = partner_document_gaps(partner=partner) if partner.accepts_api_traffic else []
        record = PartnerRecord(
            id=partner.pk,
            slug=partner.slug,
            name=partner.display_name,
            industry=partner.industry.code,
            industry_id=partner.industry_id,
            tier=partner.tier,
            status=partner.status,
            checked_on=today,
            document_gaps=tuple(gaps),
        )
        if shared:
            cache.set(partner_cache_key(partner_id), tuple(record), PARTNER_RECORD_SECONDS)
        else:
            _local_partners[partner_id] = (record, time.monotonic() + PARTNER_RECORD_SECONDS)
    return record


def _failed(request, refusal: exceptions.APIException) -> exceptions.APIException:
    """Count a refused credential against the client's address: past
    ``API_AUTH_FAILURE_LIMIT`` failures in its window the answer is 429 with ``Retry-After``
    instead, until the window ends. A fixed window in the shared counters (one Redis round
    trip, on the failure path only): a valid key never pays for it, and is never refused by
    it, so a partner's worker holding an old key cannot lock out its good ones (keys are
    unguessable; the limit stops scanners, it does not guard a guessable secret)."""
    calls, seconds = settings.API_AUTH_FAILURE_LIMIT
    now = time.time()
    window = int(now // seconds)
    address = request.META.get("REMOTE_ADDR") or "unknown"
    (failures,) = bump([(f"partners:authfail:{address}:{window}", seconds + 1)])
    if failures > calls:
        return Throttled(
            (window + 1) * seconds - now,
            _("Too many failed authentications from your address: at most %(calls)d per %(seconds)d seconds.")
            % {"calls": calls, "seconds": seconds},
        )
    return refusal


class PartnerKeyAuthentication(BaseAuthentication):
    """DRF authentication class of the open API (see the module docstring)."""

    def authenticate_header(self, request) -> str:
        return KEYWORD

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            raise exceptions.NotAuthenticated(
                _("Authenticate with the header “Authorization: Api-Key <key>”.")
            )
        try:
            record = self._verified_key(header)
        except exceptions.AuthenticationFailed as refusal:
            raise _failed(request, refusal) from None
        return self._client(request, record)

    def _verified_key(self, header: str) -> KeyRecord:
        keyword, _sep, key = header.partition(" ")
        key = key.strip()
        if keyword.lower() != KEYWORD.lower() or not key or len(key) > MAX_KEY_LENGTH + 8:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header: use “Api-Key <key>”."))
        parts = split_key(key)
        record = key_record(parts[0]) if parts else None
        if record is None or not hmac.compare_digest(record.hashed_key, key_hash(key)):
            raise exceptions.AuthenticationFailed(_("Unknown API key."))
        if record.revoked:
            raise exceptions.AuthenticationFailed(_("This API key was revoked."))
        now = time.time()
        if record.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        return record

    def _client(self, request, record: KeyRecord):
        now = time.time()
        partner = partner_record(record.partner_id)
        if partner.status != Partner.Status.ACTIVE:
            raise exceptions.PermissionDenied(
                _("The partner is not active (%(status)s): its API keys are refused.")
                % {"status": Partner.Status(partner.status).label.lower()}
            )
        if partner.document_gaps:
            raise exceptions.PermissionDenied(
                _("A required document of the partner is missing, unverified or expired: %(documents)s.")
                % {
                    "documents": ", ".join(
                        str(PartnerDocument.DocumentType(t).label) for t in partner.document_gaps
                    )
                }
            )
        if now - _touched.get(record.prefix, 0.0) >= TOUCH_SECONDS:
            # This process has not recorded a use for a minute; the cache lock keeps other
            # processes from writing the same minute again.
            _touched[record.prefix] = now
            if cache.add(f"partners:apikey-used:{record.prefix}", 1, TOUCH_SECONDS):
                api_key_touch(key_id=record.id, at=timezone.now())
        client = ApiClient(record, partner)
        request._request.api_client = client  # for the access log and metering middleware
        return client, record
