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
from typing import NamedTuple

from django.conf import settings
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from core.clock import business_day
from core.counters import bump, unbump
from core.generations import generations_and_bump

from ..keycache import (
    KeyRecord,
    PartnerRecord,
    auth_failure_counter_name,
    held_records,
    key_record,
    key_use_due,
    partner_record,
)
from ..keygen import MAX_KEY_LENGTH, key_hash, split_key
from ..models import Partner, PartnerDocument
from ..services.keys import api_key_touch
from .throttling import LimitPlan, Throttled, limits_plan

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


def _parsed(header: str) -> tuple[str, str]:
    """``(prefix, hash of the key)`` of an ``Authorization`` header; a malformed header is
    refused, an ill-formed key has no prefix (refused as unknown)."""
    keyword, _sep, key = header.partition(" ")
    key = key.strip()
    if keyword.lower() != KEYWORD.lower() or not key or len(key) > MAX_KEY_LENGTH + 8:
        raise exceptions.AuthenticationFailed(_("Malformed Authorization header: use “Api-Key <key>”."))
    parts = split_key(key)
    return (parts[0] if parts else ""), key_hash(key)


def _held(prefix: str, hashed: str) -> tuple[KeyRecord, PartnerRecord] | None:
    """The records this process holds for the key when they would let it in, else None (the
    same checks as authentication's, on records not yet checked against the generations)."""
    held = held_records(prefix) if prefix else None
    if held is None or held[1].checked_on != business_day():
        return None
    try:
        PartnerKeyAuthentication._key_valid(held[0], hashed)
        PartnerKeyAuthentication._allowed(*held)
    except exceptions.APIException:
        return None
    return held


class Counting(NamedTuple):
    """A call counted by the records this process held (``_counted``), its reply not yet read."""

    prefix: str
    hashed: str
    held: tuple[KeyRecord, PartnerRecord]
    plan: LimitPlan
    reply: object  # ``core.generations.generations_and_bump``'s


def _counted(request, prefix: str, hashed: str) -> Counting | None:
    """Count the call by the records this process holds, when they would let the key in: the
    command is sent (with the request's read of the generations) and its reply read later."""
    held = _held(prefix, hashed)
    if held is None:
        return None
    plan = limits_plan(request, *held)
    return Counting(prefix, hashed, held, plan, generations_and_bump(plan.counters, plan.counts))


def count_ahead(request, view_func) -> None:
    """Count the call as soon as its route is known (``ApiAccessMiddleware.process_view``), when
    the view authenticates partners' keys and this process holds records that let the key in:
    the command goes to Redis now and authentication reads its reply, so the worker runs the
    rest of the middleware and DRF's set-up while Redis answers. Authentication claims the
    counts; ``counted_ahead_unclaimed`` takes back counts never claimed (a call that ended before
    authentication, a 406 say)."""
    view = getattr(view_func, "cls", None)
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header or PartnerKeyAuthentication not in getattr(view, "authentication_classes", ()):
        return
    try:
        prefix, hashed = _parsed(header)
    except exceptions.AuthenticationFailed:
        return
    counting = _counted(request, prefix, hashed)
    if counting is not None:
        request.api_counted_ahead = counting


def counted_ahead_unclaimed(request) -> None:
    """Take back what ``count_ahead`` counted when authentication never claimed it."""
    counting = request.__dict__.pop("api_counted_ahead", None)
    if counting is not None:
        counting.reply.discard()
        _uncount(request, counting.plan)


def _uncount(request, plan) -> None:
    """Take back a call's counts (it was refused, or counted by records that changed)."""
    unbump(plan.counters, plan.counts)
    request.api_metered = None


class PartnerKeyAuthentication(BaseAuthentication):
    """DRF authentication class of the open API (see the module docstring).

    It also counts the call against the key's limits (``throttling.limits_plan``; the throttle
    judges the counts): every call with a valid key counts, whatever its answer. When this
    process holds the key's records and they would let it in, the call is counted *before* they
    are checked against the generations, in the same round trip as that check
    (``core.generations.generations_and_bump``: one Redis command per call, sent as soon as the
    route is known, ``count_ahead``). Should the check
    find them changed, the call is counted again by the fresh records, or taken back if they
    refuse it, so a refused call is never counted."""

    def authenticate_header(self, request) -> str:
        return KEYWORD

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            raise exceptions.NotAuthenticated(
                _("Authenticate with the header “Authorization: Api-Key <key>”.")
            )
        django_request = request._request
        counting = django_request.__dict__.pop("api_counted_ahead", None)  # ``count_ahead``
        if counting is None:
            try:
                prefix, hashed = _parsed(header)
            except exceptions.AuthenticationFailed as refusal:
                raise _failed(request, refusal) from None
            counting = _counted(django_request, prefix, hashed)
        else:
            prefix, hashed = counting.prefix, counting.hashed
        held, counted = None, None
        if counting is not None:
            held, counted = counting.held, (counting.plan, counting.reply.values())
        try:
            record = key_record(prefix) if prefix else None
            if record is None:
                raise exceptions.AuthenticationFailed(_("Unknown API key."))
            partner = partner_record(record.partner_id)
            if held is None or record is not held[0] or partner is not held[1]:
                # The records ``_held`` checked earlier in this request need no second check.
                self._key_valid(record, hashed)
                self._allowed(record, partner)
        except exceptions.APIException as refusal:
            if counted is not None:
                _uncount(django_request, counted[0])
            if isinstance(refusal, exceptions.AuthenticationFailed):
                raise _failed(request, refusal) from None
            raise
        if (record, partner) != held:
            if counted is not None:  # counted by records that changed since
                _uncount(django_request, counted[0])
            plan = limits_plan(django_request, record, partner)
            counted = (plan, bump(plan.counters, plan.counts))
        django_request.api_limits = counted
        if key_use_due(record.prefix):
            api_key_touch(key_id=record.id, at=timezone.now())
        client = ApiClient(record, partner)
        django_request.api_client = client  # for the access log and metering middleware
        return client, record

    @staticmethod
    def _key_valid(record: KeyRecord, hashed: str) -> None:
        """The key is the record's (its hash, in constant time), not revoked, not expired."""
        if not hmac.compare_digest(record.hashed_key, hashed):
            raise exceptions.AuthenticationFailed(_("Unknown API key."))
        if record.revoked:
            raise exceptions.AuthenticationFailed(_("This API key was revoked."))
        if record.expires_at <= time.time():
            raise exceptions.AuthenticationFailed(_("This API key has expired."))

    @classmethod
    def _allowed(cls, record: KeyRecord, partner: PartnerRecord) -> None:
        if record.sandbox:
            cls._sandbox_allowed(partner)
        else:
            cls._live_allowed(partner)

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
