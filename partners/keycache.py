"""The verification cache of the open API: what authentication, throttling and the services
know about keys and partners without a query, and how a change reaches every process.

This module owns, and no other module repeats:

- the **cache key names**: a key's verification record and last-use guard (by prefix), a
  partner's status record, and the names of the rate-limit, quota and failed-authentication
  counters (``core.counters``);
- the **layer**: this process's memory, a ``core.generations.ProcessMemo`` checked against its
  generation before it is trusted, as the compiled offer terms are. The generation travels with
  the backend of ``core.counters``: on Redis (``REDIS_URL``) a token in the shared cache, read
  with the request's other generations in one ``MGET`` (the whole verification costs that one
  round trip); on the embedded default the cache epoch file (one ``stat``);
- the **invalidation**: ``key_forget`` (rotate, revoke) and ``partner_forget`` (lifecycle moves,
  document changes) bump the generation, so every process drops its records and a revocation
  or suspension is refused on the very next request.

A required KYB document that expires is noticed the same day: the partner record remembers the
business date its documents were checked on and is rebuilt on the next date.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from django.core.cache import caches
from django.utils import timezone

from core.clock import business_day
from core.generations import ProcessMemo, generation_bump

from .models import Partner, PartnerAPIKey
from .selectors import partner_document_gaps

# How long a record lives in the cache. It is dropped on every change anyway (``key_forget``,
# ``partner_forget``); the lifetimes bound what a lost change could cost.
KEY_RECORD_SECONDS = 300
UNKNOWN_KEY_SECONDS = 30  # a flood of made-up keys costs no queries
PARTNER_RECORD_SECONDS = 60
# ``last_used_at`` is written at most once per this many seconds per key.
TOUCH_SECONDS = 60
_MISSING = "missing"
# The generation the process-memory layer watches (``core.generations``).
KEYCACHE_GENERATION = "apikeys"
KEYCACHE_GENERATIONS = (KEYCACHE_GENERATION,)


# --------------------------------------------------------------------------------------
# Cache key names
# --------------------------------------------------------------------------------------
def key_used_name(prefix: str) -> str:
    return f"partners:apikey-used:{prefix}"


def burst_counter_name(prefix: str, window: int) -> str:
    return f"partners:rate:b:{prefix}:{window}"


def sustained_counter_name(prefix: str, window: int) -> str:
    return f"partners:rate:s:{prefix}:{window}"


def quota_counter_name(partner_id: int, month: str) -> str:
    return f"partners:quota:{partner_id}:{month}"


def sandbox_quota_counter_name(partner_id: int, month: str) -> str:
    """The partner's sandbox calls of the month: never the live quota's counter."""
    return f"partners:quota-sbx:{partner_id}:{month}"


def auth_failure_counter_name(address: str, window: int) -> str:
    return f"partners:authfail:{address}:{window}"


# --------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------
class KeyRecord(NamedTuple):
    id: str
    prefix: str
    hashed_key: str
    partner_id: int
    scopes: tuple[str, ...]
    expires_at: float  # a POSIX timestamp: cheap to compare on every request
    revoked: bool
    expires_iso: str  # as ``me/`` shows it (Asia/Shanghai)
    sandbox: bool = False  # a sandbox key: test data only (docs/sandbox.md)


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


def _load_key(prefix: str) -> KeyRecord | None:
    row = (
        PartnerAPIKey.objects.filter(prefix=prefix)
        .values_list(
            "id", "prefix", "hashed_key", "partner_id", "scopes", "expiry_date", "revoked", "sandbox"
        )
        .first()
    )
    if row is None:
        return None
    key_id, prefix, hashed, partner_id, scopes, expiry, revoked, sandbox = row
    return KeyRecord(
        key_id,
        prefix,
        hashed,
        partner_id,
        tuple(scopes or ()),
        expiry.timestamp(),
        revoked,
        timezone.localtime(expiry).isoformat(),
        sandbox,
    )


def _load_partner(partner_id: int, today: str) -> PartnerRecord:
    partner = Partner.objects.select_related("industry").get(pk=partner_id)
    gaps = partner_document_gaps(partner=partner) if partner.accepts_api_traffic else []
    return PartnerRecord(
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


# --------------------------------------------------------------------------------------
# The two layers
# --------------------------------------------------------------------------------------
class LocalRecords:
    """Records in this process's memory (no pickling, no key checks): a
    ``core.generations.ProcessMemo`` watching ``KEYCACHE_GENERATIONS``, the same invalidation
    path as the compiled offer terms. A forget bumps the generation (a Redis token, or the cache
    epoch file on the embedded default), so a change made in another process is seen on the
    next call here too."""

    def __init__(self):
        self.memo = ProcessMemo(KEYCACHE_GENERATIONS, seconds=KEY_RECORD_SECONDS)
        self.touched: dict[str, float] = {}

    def key(self, prefix: str) -> KeyRecord | str | None:
        self.memo.current()  # the request's generations: one ``MGET`` (Redis) or ``stat``
        return self.memo.peek(("key", prefix))

    def key_put(self, prefix: str, record: KeyRecord | str, seconds: int) -> None:
        self.memo.put(("key", prefix), record, seconds)

    def partner(self, partner_id: int) -> PartnerRecord | None:
        # Brought up to date by ``key`` just before (``partner_record`` follows ``key_record`` on
        # every request).
        return self.memo.peek(("partner", partner_id))

    def partner_put(self, record: PartnerRecord) -> None:
        self.memo.put(("partner", record.id), record, PARTNER_RECORD_SECONDS)

    def keys_forget(self, prefixes: tuple[str, ...]) -> None:
        self.memo.forget(*(("key", prefix) for prefix in prefixes))
        generation_bump(KEYCACHE_GENERATION)

    def partners_forget(self, partner_ids: tuple[int, ...]) -> None:
        self.memo.forget(*(("partner", pk) for pk in partner_ids))
        generation_bump(KEYCACHE_GENERATION)


_records: LocalRecords = None  # type: ignore[assignment] - set by keycache_start


def keycache_start() -> LocalRecords:
    """Start this process's records, empty (the generations follow the backend of
    ``core.counters``: call ``counters_start`` first). Called once as the process starts
    (``portal.apps``); calling it again starts from an empty cache."""
    global _records
    _records = LocalRecords()
    return _records


# --------------------------------------------------------------------------------------
# What authentication and the services call
# --------------------------------------------------------------------------------------
def key_record(prefix: str) -> KeyRecord | None:
    """The verification record of the key with this prefix, None for an unknown prefix (a
    query only on a miss)."""
    records = _records
    record = records.key(prefix)
    if record is None:
        record = _load_key(prefix) or _MISSING
        records.key_put(prefix, record, KEY_RECORD_SECONDS if record != _MISSING else UNKNOWN_KEY_SECONDS)
    return None if record == _MISSING else record


def partner_record(partner_id: int) -> PartnerRecord:
    """The partner's status record (a query on a miss and on a new business day). Call it after
    ``key_record``, which brings this process's layer up to date."""
    today = business_day()
    records = _records
    record = records.partner(partner_id)
    if record is None or record.checked_on != today:
        record = _load_partner(partner_id, today)
        records.partner_put(record)
    return record


def held_records(prefix: str) -> tuple[KeyRecord, PartnerRecord] | None:
    """The key's record and its partner's as this process last held them, not checked against
    the generations and never loaded (None when either is missing): what the open API's hot path
    counts a call by before the request's one round trip tells whether they still stand
    (``partners.api.auth``). Trust them only after ``key_record`` and ``partner_record``."""
    records = _records
    key = records.memo.peek(("key", prefix))
    if key is None or key == _MISSING:
        return None
    partner = records.partner(key.partner_id)
    return None if partner is None else (key, partner)


def key_use_due(prefix: str) -> bool:
    """Whether this call should record the key's ``last_used_at``: at most once per
    ``TOUCH_SECONDS`` per key, across processes (this process remembers its last write; the
    cache's ``add`` keeps other processes from writing the same minute again)."""
    touched = _records.touched
    now = time.time()
    if now - touched.get(prefix, 0.0) < TOUCH_SECONDS:
        return False
    touched[prefix] = now
    return caches["default"].add(key_used_name(prefix), 1, TOUCH_SECONDS)


def key_forget(*prefixes: str) -> None:
    """Drop the verification record of these keys, in every process (rotate, revoke)."""
    _records.keys_forget(prefixes)


def partner_forget(*partner_ids: int) -> None:
    """Drop the status record of these partners, in every process (lifecycle moves, document
    changes)."""
    _records.partners_forget(partner_ids)
