"""Offer quotes for partners: the engine run on the version a partner participates in, and the
daily count of offer requests.

``offer_quote`` is what ``POST /api/v1/offers/`` calls; ``offer_as_dict`` turns each ``Offer``
into the API's JSON shape.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from scenarios import selectors
from scenarios.engine import Offer, QuoteRequest, quote
from scenarios.exceptions import OfferRefused, PartnerNotActive, ScenarioNotAvailable
from scenarios.models import OfferQuoteDaily, Scenario

logger = logging.getLogger(__name__)


def offer_quote(
    *,
    partner,
    scenario_code: str,
    event: str,
    amount: Decimal,
    currency: str = "CNY",
    segment: str | None = None,
    tenor_months: int | None = None,
) -> list[Offer]:
    """The offers of the scenario version ``partner`` actively participates in, for a customer
    at ``event`` asking about ``amount``; ordered by item position.

    Raises ``PartnerNotActive`` (403) for a partner that is not active, ``ScenarioNotAvailable``
    (``field="scenario"``) for a code the partner does not participate in (or that does not
    exist: the two look alike), and an ``OfferRefused`` subclass naming the request field for
    ineligible input. Counts the request in ``OfferQuoteDaily``. Queries: 4 reads, 1–2 writes.
    """
    if partner.status != "active":
        raise PartnerNotActive(_("Only an active partner can ask for offers."))
    scenario = selectors.scenario_for_quote(partner=partner, code=scenario_code)
    if scenario is None:
        raise ScenarioNotAvailable(_("No scenario with this code is available to you."), field="scenario")
    terms = selectors.scenario_terms(scenario, segments=selectors.segment_codes())
    request = QuoteRequest(
        event=event, amount=amount, currency=currency, segment=segment, tenor_months=tenor_months
    )
    try:
        offers = quote(terms, request)
    except OfferRefused:
        offer_quote_count(partner=partner, scenario=scenario, refused=True)
        raise
    offer_quote_count(partner=partner, scenario=scenario, offers=len(offers))
    return list(offers)


def offer_quote_count(*, partner, scenario: Scenario, offers: int = 0, refused: bool = False) -> None:
    """Add one request to today's row (Asia/Shanghai) with an atomic ``F()`` increment; the
    first request of the day inserts the row, and a concurrent twin that loses the insert race
    (unique constraint) increments instead. No read-then-write."""
    day = timezone.localdate()
    increments = {
        "quotes": F("quotes") + (0 if refused else 1),
        "offers": F("offers") + offers,
        "refusals": F("refusals") + (1 if refused else 0),
    }
    rows = OfferQuoteDaily.objects.filter(partner=partner, scenario=scenario, day=day)
    if rows.update(**increments):
        return
    try:
        with transaction.atomic():
            OfferQuoteDaily.objects.create(
                partner=partner,
                scenario=scenario,
                day=day,
                quotes=0 if refused else 1,
                offers=offers,
                refusals=1 if refused else 0,
            )
    except IntegrityError:
        rows.update(**increments)
