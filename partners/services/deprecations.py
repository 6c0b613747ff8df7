"""Deprecated API use: the write behind its buffered counters, and the notices to the partners
whose keys still use a deprecation (docs/api-lifecycle.md)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from ..deprecations import Deprecation, api_deprecations
from ..models import ApiDeprecationUsage, Partner
from ..notifications import notify
from .usage import key_counts_add

logger = logging.getLogger(__name__)


def api_deprecation_usage_upsert(*, rows: dict[tuple[str, int, str, str], list[int]]) -> int:
    """Add counts to ``ApiDeprecationUsage``: ``{(key_id, partner_id, day, code): [calls]}``."""
    return key_counts_add(
        ApiDeprecationUsage,
        names=("code",),
        counts=("calls",),
        rows={(k, p, d, code[:60]): c for (k, p, d, code), c in rows.items()},
    )


def api_deprecation_notices_send(*, today: date | None = None) -> int:
    """Tell each partner whose keys used a deprecation not yet retired within the last
    ``API_DEPRECATION_NOTICE_DAYS`` about it, once per deprecation (``notify`` keeps it to one
    per member); the number of partner notices handed over. One query for the counts."""
    today = today or timezone.localdate()
    live = {d.code: d for d in api_deprecations() if not d.retired()}
    if not live:
        return 0
    since = today - timedelta(days=settings.API_DEPRECATION_NOTICE_DAYS - 1)
    counts = (
        ApiDeprecationUsage.objects.filter(code__in=live, day__gte=since, day__lte=today)
        .values_list("partner_id", "code")
        .annotate(calls=Sum("calls"))
        .order_by("partner_id", "code")
    )
    rows = list(counts)
    partners = Partner.objects.in_bulk({partner_id for partner_id, _code, _calls in rows})
    sent = 0
    for partner_id, code, calls in rows:
        partner = partners.get(partner_id)
        if partner is None or not calls:
            continue
        deprecation_notify(partner=partner, deprecation=live[code], calls=calls)
        sent += 1
    logger.info("API deprecation notices: %d partner notices", sent)
    return sent


def deprecation_notify(*, partner: Partner, deprecation: Deprecation, calls: int) -> None:
    notify(
        kind="api.deprecation",
        partner=partner,
        params={
            "what": deprecation.what,
            "sunset": timezone.localtime(deprecation.sunset).date().isoformat(),
            "replacement": deprecation.replacement,
            "calls": str(calls),
            "days": str(settings.API_DEPRECATION_NOTICE_DAYS),
        },
        once=f"deprecation:{deprecation.code}",
    )
