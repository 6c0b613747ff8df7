"""Offer quotes for partners: the engine run on the version a partner participates in, each
answered offer recorded in the offer log, and the daily count of offer requests.

``offer_quote`` is what ``POST /api/v1/offers/`` and the portal's try-out call;
``offer_quote_as_dict`` gives the API's answer (``offer_as_dict`` for each offer, with its
``offer_id`` and ``expires_at``).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.api import datetime_format
from core.clock import business_day
from core.counters import BufferedCounts
from core.secrets import customer_reference
from partners.models import Partner
from scenarios import selectors
from scenarios.engine import Offer, QuoteRequest, offer_as_dict, quote
from scenarios.exceptions import OfferRefused, PartnerNotActive, ScenarioNotAvailable
from scenarios.models import OfferQuoteDaily, OfferRecord, Scenario

from .consents import ConsentGiven, consent_for_offer
from .offer_log import amount_band, offer_log

logger = logging.getLogger(__name__)


class QuotedOffer(NamedTuple):
    offer_id: str  # opaque: "ofr_" and 22 random URL-safe characters (128 bits)
    offer: Offer
    # ``offer_as_dict(offer)``, built once: the API's answer and the offer log's price and
    # reward columns are the same dictionaries (never changed after the quote).
    shape: dict[str, object]


class OfferQuote(NamedTuple):
    """One answered request: its offers, each with the id a later sale names."""

    request_id: str
    quoted_at: datetime
    expires_at: datetime  # ``OFFER_VALIDITY_MINUTES`` after the quote, whole seconds
    offers: list[QuotedOffer]


def offer_quote_as_dict(answer: OfferQuote) -> dict[str, object]:
    """``{"request_id", "offers": [{"offer_id", "expires_at", "product", …}]}``, the API's answer."""
    expires_at = datetime_format(answer.expires_at)
    return {
        "request_id": answer.request_id,
        "offers": [
            {"offer_id": quoted.offer_id, "expires_at": expires_at, **quoted.shape}
            for quoted in answer.offers
        ],
    }


def offer_quote(
    *,
    partner,
    scenario_code: str,
    event: str,
    amount: Decimal,
    currency: str = "CNY",
    segment: str | None = None,
    tenor_months: int | None = None,
    customer_id: str = "",
    consent: ConsentGiven | None = None,
    key_prefix: str = "",
    channel: str = OfferRecord.Channel.API,
    sandbox: bool = False,
) -> OfferQuote:
    """The offers of the scenario version ``partner`` actively participates in, for a customer
    at ``event`` asking about ``amount``; ordered by item position, each with a new
    ``offer_id``.

    Raises ``PartnerNotActive`` (403) for a partner that is not active, ``ScenarioNotAvailable``
    (``field="scenario"``) for a code the partner does not participate in (or that does not
    exist: the two look alike; the message names the code, and says so when the partner left
    it), and an ``OfferRefused`` subclass naming the request field for
    ineligible input. Records every answered offer in the offer log and counts the request
    (``offer_quote_count``), both buffered; the portal's try-out (``channel="portal"``) is
    recorded as a try-out and not counted. ``customer_id`` is stored only as its keyed hash.
    A request with a customer or a segment other than standard needs the customer's
    ``consent`` covering the scenario's purposes (``consents.consent_for_offer``: else
    ``ConsentRefused`` naming ``customer.consent``); each offer records the consent id relied
    on. The try-out carries no customer data and needs none. With ``sandbox`` (a sandbox key)
    the version is the one the partner's sandbox sees (``selectors.scenario_list_for_partner``),
    the partner need not be active yet, the offers are logged marked sandbox and never counted,
    and a consent is looked up and kept among the sandbox's own.
    Queries: none while the version's terms are cached (``selectors.scenario_terms_for_quote``),
    4 reads on a miss; no write; and one indexed read of a consent sent (a write only the first
    time it is seen, see ``consent_for_offer``).
    """
    if not sandbox and partner.status != "active":
        raise PartnerNotActive(_("Only an active partner can ask for offers."))
    quoting = selectors.scenario_terms_for_quote(partner=partner, code=scenario_code, sandbox=sandbox)
    if quoting is None:
        raise ScenarioNotAvailable(
            selectors.scenario_unavailable_message(partner=partner, code=scenario_code), field="scenario"
        )
    scenario, terms = quoting  # cached per process, dropped on every change (``terms_forget``)
    request = QuoteRequest(
        event=event, amount=amount, currency=currency, segment=segment, tenor_months=tenor_months
    )
    tryout = channel == OfferRecord.Channel.PORTAL
    counted = not (tryout or sandbox)
    customer_ref = customer_reference(partner_id=partner.pk, customer_id=customer_id)
    try:
        offers = quote(terms, request)
        consent_id = (
            ""
            if tryout
            else consent_for_offer(
                partner=partner,
                scenario_code=scenario.code,
                declared_purposes=scenario.data_purposes,
                customer_ref=customer_ref,
                segment=segment,
                consent=consent,
                sandbox=sandbox,
            )
        )
    except OfferRefused:
        if counted:
            offer_quote_count(partner=partner, scenario=scenario, refused=True)
        raise
    if counted:
        offer_quote_count(partner=partner, scenario=scenario, offers=len(offers))
    quoted_at = timezone.now()
    answer = OfferQuote(
        request_id="req_" + secrets.token_urlsafe(12),
        quoted_at=quoted_at,
        expires_at=(quoted_at + timedelta(minutes=settings.OFFER_VALIDITY_MINUTES)).replace(microsecond=0),
        offers=[
            QuotedOffer("ofr_" + secrets.token_urlsafe(16), offer, offer_as_dict(offer)) for offer in offers
        ],
    )
    band = amount_band(amount)
    rows = []
    for offer_id, offer, shape in answer.offers:
        price = offer.price
        rows.append(
            # ``offer_log.COLUMNS`` order.
            (
                offer_id,
                quoted_at,
                answer.expires_at,
                answer.request_id,
                partner.pk,
                key_prefix,
                channel,
                tryout,
                scenario.pk,
                event,
                offer.product,
                offer.category,
                segment or "",
                amount,
                currency,
                band,
                offer.tenor_months,
                price.annual_rate,
                price.apr,
                shape["price"],
                shape.get("reward"),
                customer_ref,
                consent_id,
                sandbox,
            )
        )
    offer_log.extend(rows)
    return answer


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
# write on the request path (see ``core.counters.BufferedCounts``). They wait in the web process,
# as the offer log's rows do, on Redis too: counted after the quote, apart from the hot path's one
# Redis command, they would cost every quote a second round trip.
quote_counts = BufferedCounts("offer-quotes", width=3, write=_write_quote_days, in_process=True)


def offer_quote_count(*, partner, scenario: Scenario, offers: int = 0, refused: bool = False) -> None:
    """Count one request (quoted, or refused) for today (Asia/Shanghai): buffered in this
    process, in ``OfferQuoteDaily`` once the background writer's ``API_METERING_FLUSH_SECONDS``
    pass, and when the process exits (``offer_quote_counts_flush`` writes them at once)."""
    quote_counts.add(
        (partner.pk, scenario.pk, business_day()), (0 if refused else 1, offers, 1 if refused else 0)
    )


def offer_quote_counts_flush() -> int:
    """Write this process's buffered offer counts to ``OfferQuoteDaily``; rows written."""
    return quote_counts.drain()
