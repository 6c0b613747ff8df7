"""The ecosystem dashboard's figures that need no revenue ledger: partners by industry and
state, API calls and errors per day, KYB documents and API keys about to expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from partners.models import ApiUsage, Partner, PartnerAPIKey, PartnerDocument

from ..forms import Filters
from ..links import changelist

EXPIRING_SHOWN = 10


def partners_by_industry_status(*, filters: Filters) -> list[dict]:
    """Partners per industry and lifecycle state, now (a stock figure: the period does not
    apply). One GROUP BY; ``partner_status_industry_idx`` covers it."""
    qs = Partner.objects.all()
    if filters.industry:
        qs = qs.filter(industry=filters.industry)
    rows = list(
        qs.values("industry_id", "industry__name", "industry__name_zh", "status")
        .annotate(count=Count("id"))
        .order_by("industry__position", "industry__name", "status")
    )
    for row in rows:
        row["status_label"] = Partner.Status(row["status"]).label
        row["link"] = changelist(
            "partners", "partner", industry__id__exact=row["industry_id"], status__exact=row["status"]
        )
    return rows


def api_usage_by_day(*, filters: Filters) -> list[dict]:
    """Calls and errors per business day of the period, over every live key (of the industry's
    partners when one is chosen; sandbox keys' test calls are not usage). Days without calls
    are absent."""
    qs = ApiUsage.objects.filter(day__gte=filters.start, day__lte=filters.end, key__sandbox=False)
    if filters.industry:
        qs = qs.filter(partner__industry=filters.industry)
    return list(qs.values("day").annotate(calls=Sum("calls"), errors=Sum("errors")).order_by("day"))


def api_usage_link(*, filters: Filters) -> str:
    return changelist(
        "partners", "apiusage", day__gte=filters.start, day__lte=filters.end, key__sandbox__exact=0
    )


@dataclass(frozen=True)
class Expiring:
    """The count of records expiring within the window, the soonest few, and the link."""

    count: int
    soonest: list
    link: str


def _window(today: date, days: int) -> tuple[date, date]:
    return today, today + timedelta(days=days)


def documents_expiring(*, filters: Filters, today: date) -> Expiring:
    """KYB documents (pending or verified) whose expiry falls in the warning window."""
    start, end = _window(today, settings.PARTNER_DOCUMENT_EXPIRY_WARNING_DAYS)
    qs = PartnerDocument.objects.filter(
        expires_on__gte=start,
        expires_on__lte=end,
        status__in=[PartnerDocument.Status.PENDING, PartnerDocument.Status.VERIFIED],
    )
    if filters.industry:
        qs = qs.filter(partner__industry=filters.industry)
    return Expiring(
        count=qs.count(),
        soonest=list(qs.select_related("partner").order_by("expires_on", "id")[:EXPIRING_SHOWN]),
        link=changelist("partners", "partnerdocument", expires_on__gte=start, expires_on__lte=end),
    )


def keys_expiring(*, filters: Filters, today: date) -> Expiring:
    """Unrevoked API keys whose expiry falls in the warning window (from the start of today)."""
    start, end = _window(today, settings.API_KEY_EXPIRY_WARNING_DAYS)
    tz = timezone.get_current_timezone()
    qs = PartnerAPIKey.objects.filter(
        revoked=False,
        expiry_date__gte=datetime.combine(start, time.min, tzinfo=tz),
        expiry_date__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )
    if filters.industry:
        qs = qs.filter(partner__industry=filters.industry)
    return Expiring(
        count=qs.count(),
        soonest=list(qs.select_related("partner").order_by("expiry_date", "prefix")[:EXPIRING_SHOWN]),
        link=changelist(
            "partners",
            "partnerapikey",
            revoked__exact=0,
            expiry_date__date__gte=start,
            expiry_date__date__lte=end,
        ),
    )
