"""Per-key rate limits (burst and sustained) and the partner's monthly quota per tier.

Fixed windows counted with atomic increments (``core.counters.bump``, under the names of
``partners.keycache``). Authentication counts every call made with a valid key
(``limits_plan``: the burst and sustained windows, the quota and, on Redis, the call's usage
count, ``partners.api.counters.meter_call``) in the same round trip as the request's read of the
verification generations, one Redis command per call (``partners.api.auth``); this throttle then
judges the counts. Over a limit answers 429 with ``Retry-After`` (the seconds until the window
that was exceeded ends).

A sandbox key has its own, smaller limits (``API_SANDBOX_RATE_BURST``,
``API_SANDBOX_RATE_SUSTAINED``, ``API_SANDBOX_MONTHLY_QUOTA`` whatever the tier), counted in its
own counters (its rate counters are named by its own prefix, its quota counter is the partner's
sandbox one), so sandbox traffic never uses up what live traffic may do.
"""

from __future__ import annotations

import logging
import math
import time
from typing import NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from core.clock import business_month
from core.counters import counters_backend
from core.jobs import task_signature

from ..keycache import (
    KeyRecord,
    PartnerRecord,
    burst_counter_name,
    quota_counter_name,
    sandbox_quota_counter_name,
    sustained_counter_name,
)
from .counters import meter_call

logger = logging.getLogger(__name__)
# The task telling a partner's team its use crossed a quota threshold (``partners.tasks``).
QUOTA_THRESHOLD_NOTIFY = "partners.tasks.quota_threshold_notify"
QUOTA_THRESHOLDS = (80, 100)


class Throttled(exceptions.Throttled):
    def __init__(self, wait: float, detail: str):
        super().__init__(wait=wait, detail=detail)
        self.detail = detail  # one sentence, without DRF's "Expected available in …" suffix


def monthly_quota(tier: str, *, sandbox: bool = False) -> int | None:
    """Calls a partner of ``tier`` may make per calendar month (with sandbox keys: the sandbox
    quota, the same for every tier); None means no quota."""
    if sandbox:
        return settings.API_SANDBOX_MONTHLY_QUOTA
    return settings.API_MONTHLY_QUOTA.get(tier)


def rate_limits(*, sandbox: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    """``(burst, sustained)`` as ``(calls, seconds)`` per key."""
    if sandbox:
        return settings.API_SANDBOX_RATE_BURST, settings.API_SANDBOX_RATE_SUSTAINED
    return settings.API_RATE_BURST, settings.API_RATE_SUSTAINED


class LimitPlan(NamedTuple):
    """What one call of a key counts against (``limits_plan``), and the limits to judge the
    counts by (``PartnerKeyThrottle``)."""

    now: float
    sandbox: bool
    burst: tuple[int, int, int]  # calls, seconds, window
    sustained: tuple[int, int, int]
    quota: int | None
    month: str
    month_left: int
    partner_id: int
    counters: list[tuple[str, int]]  # for ``core.counters.bump``
    counts: tuple  # the buffered counts that ride with them (the usage count, on Redis)


def limits_plan(request, key: KeyRecord, partner: PartnerRecord) -> LimitPlan:
    """The counters one call of ``key`` bumps: its burst and sustained windows, the partner's
    monthly quota (when its tier has one) and, on Redis, the call's usage count (one round trip
    for all of them). ``request`` is Django's request (the route names the usage row)."""
    now = time.time()
    sandbox = key.sandbox
    (burst_calls, burst_seconds), (sustained_calls, sustained_seconds) = rate_limits(sandbox=sandbox)
    prefix = key.prefix
    burst_window = int(now // burst_seconds)
    sustained_window = int(now // sustained_seconds)
    month, month_left = business_month(now)
    quota = monthly_quota(partner.tier, sandbox=sandbox)
    counters = [
        (burst_counter_name(prefix, burst_window), burst_seconds + 1),
        (sustained_counter_name(prefix, sustained_window), sustained_seconds + 1),
    ]
    if quota is not None:
        quota_name = sandbox_quota_counter_name if sandbox else quota_counter_name
        counters.append((quota_name(partner.id, month), month_left + 3600))
    counts = (meter_call(request, key_id=key.id, partner_id=partner.id),) if counters_backend().shared else ()
    return LimitPlan(
        now,
        sandbox,
        (burst_calls, burst_seconds, burst_window),
        (sustained_calls, sustained_seconds, sustained_window),
        quota,
        month,
        month_left,
        partner.id,
        counters,
        counts,
    )


class PartnerKeyThrottle(BaseThrottle):
    """Burst and sustained rate per key, monthly quota per partner (tier): judges the counts
    authentication took (``partners.api.auth``: every call with a valid key is counted, with
    the request's generations in the same round trip on Redis)."""

    def allow_request(self, request, view) -> bool:
        counted = getattr(request._request, "api_limits", None)
        if counted is None:  # not a partner's key (no limits to judge)
            return True
        plan, values = counted
        for used, (calls, seconds, window) in ((values[0], plan.burst), (values[1], plan.sustained)):
            if used > calls:
                raise Throttled(
                    (window + 1) * seconds - plan.now, _rate_message(plan.sandbox, calls, seconds)
                )
        quota = plan.quota
        if quota is not None:
            quota_crossing(
                partner_id=plan.partner_id,
                used=values[2],
                quota=quota,
                month=plan.month,
                sandbox=plan.sandbox,
            )
            if values[2] > quota:
                message = (
                    _("Sandbox monthly quota exhausted: %(calls)d sandbox calls per month.")
                    if plan.sandbox
                    else _("Monthly quota exhausted: %(calls)d calls per month for your tier.")
                )
                raise Throttled(plan.month_left, message % {"calls": quota})
        return True


def _rate_message(sandbox: bool, calls: int, seconds: int) -> str:
    if sandbox:
        message = _("Sandbox rate limit exceeded: at most %(calls)d calls per %(seconds)d seconds per key.")
    else:
        message = _("Rate limit exceeded: at most %(calls)d calls per %(seconds)d seconds per key.")
    return message % {"calls": calls, "seconds": seconds}


def quota_crossing(*, partner_id: int, used: int, quota: int, month: str, sandbox: bool = False) -> None:
    """The one call whose count lands exactly on 80 % or 100 % of the month's quota (the
    counter is atomic: one call per threshold) hands the notice to the worker, so no call waits
    for the database. The notification is written at most once per partner, threshold and
    month whatever happens to the counter (``once`` key)."""
    for threshold in QUOTA_THRESHOLDS:
        if used == max(1, math.ceil(quota * threshold / 100)):
            try:
                task_signature(
                    QUOTA_THRESHOLD_NOTIFY, partner_id, threshold, used, quota, month, sandbox
                ).delay()
            except Exception:  # the call itself must not fail for a notice
                logger.exception("quota %d%% notice of partner %s not queued", threshold, partner_id)
