"""API key authentication: ``Authorization: Api-Key <key>``.

The hot path costs no query: the key's verification record (by prefix) and the partner's
status record come from ``partners.keycache``, which drops them in every process when they
change (key rotated or revoked, partner moved through its lifecycle, a document verified,
rejected or expired), so a revocation or suspension is refused on the very next request.

A live key needs an active partner with valid required documents; a sandbox key
(``fnk_sbx_…``) a partner from its submitted application on, documents aside
(docs/sandbox.md).
"""

from __future__ import annotations

import hmac
import time
from functools import cached_property

from django.conf import settings
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from core.counters import bump

from ..keycache import (
    KeyRecord,
    PartnerRecord,
    auth_failure_counter_name,
    key_record,
    key_use_due,
    partner_record,
)
from ..keygen import MAX_KEY_LENGTH, key_hash, split_key
from ..models import Partner, PartnerDocument
from ..services.keys import api_key_touch
from .throttling import Throttled

KEYWORD = "Api-Key"


# The field values of the partner built from each record (records are immutable: a change is a
# new record), for ``ApiClient.partner``; emptied when it grows past the bound.
_partner_fields: dict[PartnerRecord, dict] = {}
_PARTNER_FIELDS_KEPT = 1000


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
        fields = _partner_fields.get(p)
        if fields is None:
            if len(_partner_fields) >= _PARTNER_FIELDS_KEPT:
                _partner_fields.clear()
            built = Partner(
                id=p.id,
                slug=p.slug,
                display_name=p.name,
                industry_id=p.industry_id,
                tier=p.tier,
                status=p.status,
            )
            fields = _partner_fields[p] = {k: v for k, v in vars(built).items() if k != "_state"}
        # A fresh instance from the record's field values: a model's __init__ (defaults, field
        # by field) costs ten times more on every call that reaches the partner.
        partner = Partner.__new__(Partner)
        partner.__dict__.update(fields)
        partner._state = ModelState()
        partner._state.adding = False
        partner._state.db = "default"
        return partner

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.key.scopes

    @property
    def sandbox(self) -> bool:
        """A sandbox key: every read and write goes to the sandbox's data only."""
        return self.key.sandbox

    def __str__(self) -> str:
        return f"api-key:{self.key.prefix}"


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
    (failures,) = bump([(auth_failure_counter_name(address, window), seconds + 1)])
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
        partner = partner_record(record.partner_id)
        if record.sandbox:
            self._sandbox_allowed(partner)
        else:
            self._live_allowed(partner)
        if key_use_due(record.prefix):
            api_key_touch(key_id=record.id, at=timezone.now())
        client = ApiClient(record, partner)
        request._request.api_client = client  # for the access log and metering middleware
        return client, record

    @staticmethod
    def _sandbox_allowed(partner: PartnerRecord) -> None:
        """A sandbox key works from the submitted application on (``Partner.SANDBOX_STATUSES``),
        whatever the documents: a partner under review has none verified yet, and the sandbox
        moves no money."""
        if partner.status not in Partner.SANDBOX_STATUSES:
            raise exceptions.PermissionDenied(
                _("The partner is %(status)s: its sandbox keys are refused.")
                % {"status": Partner.Status(partner.status).label.lower()}
            )

    @staticmethod
    def _live_allowed(partner: PartnerRecord) -> None:
        """A live key works for an active partner whose required documents are valid."""
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
