"""Console test data: rows built directly so figures can be computed by hand."""

from __future__ import annotations

from datetime import date

from partners.models import ApiUsage, Partner, PartnerAPIKey
from tests.api.factories import issue


def usage(partner: Partner, day: date, *, calls: int, errors: int = 0, endpoint: str = "offers/", key=None):
    key = key or PartnerAPIKey.objects.filter(partner=partner).first() or issue(partner).api_key
    return ApiUsage.objects.create(
        key=key, partner=partner, day=day, endpoint=endpoint, calls=calls, errors=errors
    )
