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

from core.counters import BufferedCounts
from partners.models import Partner
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
    ineligible input. Counts the request (``offer_quote_count``). Queries: 4 reads, no write.
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


def _write_quote_days(rows: dict[tuple[str, ...], list[int]]) -> int:
    """Add buffered counts to ``OfferQuoteDaily``: ``{(partner id, scenario id, day): [quotes,
    offers, refusals]}``. Per row an atomic ``F()`` increment; the first count of a day inserts
    the row, and a concurrent twin that loses the insert race (unique constraint) increments
    instead. No read-then-write. Counts of a partner or scenario deleted meanwhile are
    dropped (they could never be stored, and would hold back the others)."""
    partners = set(Partner.objects.filter(pk__in={int(k[0]) for k in rows}).values_list("pk", flat=True))
    scenarios = set(Scenario.objects.filter(pk__in={int(k[1]) for k in rows}).values_list("pk", flat=True))
    with transaction.atomic():
        for (partner_id, scenario_id, day), (quotes, offers, refusals) in sorted(rows.items()):
            if int(partner_id) not in partners or int(scenario_id) not in scenarios:
                continue
            stored = OfferQuoteDaily.objects.filter(partner_id=partner_id, scenario_id=scenario_id, day=day)
            if stored.update(
                quotes=F("quotes") + quotes, offers=F("offers") + offers, refusals=F("refusals") + refusals
            ):
                continue
            try:
                with transaction.atomic():
                    OfferQuoteDaily.objects.create(
                        partner_id=partner_id,
                        scenario_id=scenario_id,
                        day=day,
                        quotes=quotes,
                        offers=offers,
                        refusals=refusals,
                    )
            except IntegrityError:
                stored.update(
                    quotes=F("quotes") + quotes,
                    offers=F("offers") + offers,
                    refusals=F("refusals") + refusals,
                )
    return len(rows)


# Offer requests per partner, scenario version and business day, counted without a database
# write on the request path (see ``core.counters.BufferedCounts``).
quote_counts = BufferedCounts("offer-quotes", width=3, write=_write_quote_days)


def offer_quote_count(*, partner, scenario: Scenario, offers: int = 0, refused: bool = False) -> None:
    """Count one request (quoted, or refused) for today (Asia/Shanghai): buffered, in
    ``OfferQuoteDaily`` within a minute (``offer_quote_counts_flush``)."""
    day = timezone.localdate().isoformat()
    quote_counts.add((partner.pk, scenario.pk, day), (0 if refused else 1, offers, 1 if refused else 0))


def offer_quote_counts_flush() -> int:
    """Write the buffered offer counts to ``OfferQuoteDaily`` (beat, every minute); rows written."""
    return quote_counts.drain()
