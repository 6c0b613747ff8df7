"""Reads of keys, usage and webhooks that the API, the portal and the admin share. Every read
of partner data takes the partner."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import ApiUsage, Partner, PartnerAPIKey


def partner_api_keys(*, partner: Partner) -> QuerySet[PartnerAPIKey]:
    return PartnerAPIKey.objects.filter(partner=partner).select_related("created_by").order_by("-created")


def api_key_by_prefix(*, prefix: str) -> PartnerAPIKey | None:
    """Any partner's key by its prefix (operators on the command line, staff)."""
    return PartnerAPIKey.objects.select_related("partner").filter(prefix=prefix).first()


def partner_api_usage(*, partner: Partner, sandbox: bool = False) -> QuerySet[ApiUsage]:
    """Daily calls and errors per endpoint and key of ``partner``'s live keys (``sandbox``: its
    sandbox keys), newest day first. The API narrows it to a window of days
    (``views.UsageFilter``), which uses the (partner, day) index."""
    return (
        ApiUsage.objects.filter(partner=partner, key__sandbox=sandbox)
        .select_related("key")
        .only("day", "endpoint", "calls", "errors", "key__prefix", "key__name")
        .order_by("-day", "endpoint", "key__prefix")
    )
