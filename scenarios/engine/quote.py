"""Eligibility → price → schedule → reward, for every line of a scenario version.

The request as a whole must fit the scenario: the event is one of its triggers, the amount is a
positive sum in fen, the segment (when given) is a known one, the tenor (when given) is offered
by at least one of its tenor-bearing products. Each product then checks the request against its
own terms (currency, amount range, tenor): a product that cannot serve it is left out of the
offers. When no product is left, the request is refused with the first product's reason, so the
error names the field at fault.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from core.fen import FEN
from products.terms import percent
from scenarios.exceptions import (
    AmountNotOffered,
    CurrencyNotOffered,
    EventNotTriggered,
    NothingToOffer,
    OfferRefused,
    SegmentUnknown,
    TenorNotOffered,
)

from .apr import product_apr_ceiling
from .money import money_str
from .pricing import price_line, reward_for, takes_schedule
from .schedules import minimum_amount
from .types import BundleLine, Offer, QuoteRequest, ScenarioTerms

MAX_QUOTE_AMOUNT = Decimal("999999999999.99")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def quote(scenario: ScenarioTerms, request: QuoteRequest) -> tuple[Offer, ...]:
    """The offers of ``scenario`` for ``request``, ordered by item position (then product code);
    raises an ``OfferRefused`` subclass whose ``field`` names the request field at fault."""
    check_request(scenario, request)
    lines = sorted(scenario.lines, key=lambda line: (line.position, line.product.code))
    if not lines:
        raise NothingToOffer(_("This scenario offers no product at the moment."), field="scenario")
    _check_tenor_offered(lines, request)

    offers: list[Offer] = []
    refusals: list[OfferRefused] = []
    for line in lines:
        refusal = line_refusal(line, request)
        if refusal is not None:
            refusals.append(refusal)
            continue
        offer = _offer(line, request)
        refusal = apr_refusal(line, offer, request)
        if refusal is not None:
            refusals.append(refusal)
            continue
        offers.append(offer)
    if not offers:
        raise refusals[0]
    return tuple(offers)


def check_request(scenario: ScenarioTerms, request: QuoteRequest) -> None:
    """Refuse a request that does not fit the scenario as a whole."""
    if request.event not in scenario.trigger_events:
        raise EventNotTriggered(
            _("“%(event)s” is not a trigger of this scenario; its triggers are: %(events)s.")
            % {"event": request.event, "events": ", ".join(sorted(scenario.trigger_events))},
            field="event",
        )
    amount = request.amount
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount != amount.quantize(FEN)
    ):
        raise AmountNotOffered(
            _("The amount must be positive with at most two decimal places."), field="amount"
        )
    if amount > MAX_QUOTE_AMOUNT:
        raise AmountNotOffered(_("The amount is too large."), field="amount")
    if not _CURRENCY.match(request.currency or ""):
        raise CurrencyNotOffered(
            _("The currency must be a three-letter ISO 4217 code such as CNY."), field="currency"
        )
    if request.segment is not None and scenario.segments and request.segment not in scenario.segments:
        raise SegmentUnknown(
            _("Unknown customer segment “%(segment)s”; use one of: %(segments)s.")
            % {"segment": request.segment, "segments": ", ".join(sorted(scenario.segments))},
            field="segment",
        )
    tenor = request.tenor_months
    if tenor is not None and (not isinstance(tenor, int) or isinstance(tenor, bool) or tenor < 1):
        raise TenorNotOffered(_("The tenor must be a whole number of months."), field="tenor_months")


def _check_tenor_offered(lines: list[BundleLine], request: QuoteRequest) -> None:
    """A tenor asked for must be offered by at least one product that takes tenors."""
    if request.tenor_months is None:
        return
    offered = sorted({t for line in lines for t in line.product.tenor_months})
    if offered and request.tenor_months not in offered:
        raise TenorNotOffered(
            _("This scenario offers tenors of %(tenors)s months.") % {"tenors": ", ".join(map(str, offered))},
            field="tenor_months",
        )


def line_refusal(line: BundleLine, request: QuoteRequest) -> OfferRefused | None:
    """Why ``line``'s product cannot serve ``request`` (``None`` when it can)."""
    product, amount, tenor = line.product, request.amount, request.tenor_months
    if product.currency != request.currency:
        return CurrencyNotOffered(
            _("%(product)s is offered in %(currency)s only.")
            % {"product": product.code, "currency": product.currency},
            field="currency",
        )
    if (product.min_amount is not None and amount < product.min_amount) or (
        product.max_amount is not None and amount > product.max_amount
    ):
        return AmountNotOffered(_amount_range_message(line), field="amount")
    if tenor is not None and product.tenor_months and tenor not in product.tenor_months:
        return TenorNotOffered(
            _("%(product)s offers tenors of %(tenors)s months.")
            % {"product": product.code, "tenors": ", ".join(map(str, product.tenor_months))},
            field="tenor_months",
        )
    if (
        tenor is not None
        and takes_schedule(line)
        and amount < minimum_amount(product.repayment_method, tenor)
    ):
        return AmountNotOffered(
            _("The amount is too small to repay over %(tenor)d months.") % {"tenor": tenor}, field="amount"
        )
    if (
        tenor is None
        and takes_schedule(line)
        and product.tenor_months
        and amount < min(minimum_amount(product.repayment_method, t) for t in product.tenor_months)
    ):
        return AmountNotOffered(
            _("The amount is too small to repay over any of %(tenors)s months.")
            % {"tenors": ", ".join(map(str, product.tenor_months))},
            field="amount",
        )
    return None


def apr_refusal(line: BundleLine, offer: Offer, request: QuoteRequest) -> OfferRefused | None:
    """Why ``offer`` may not be made: its APR is above the product's ceiling (``apr``)."""
    apr, ceiling = offer.price.apr, product_apr_ceiling(line.product)
    if apr is None or apr <= ceiling:
        return None
    values = {
        "product": line.product.code,
        "apr": percent(apr),
        "ceiling": percent(ceiling),
        "amount": money_str(request.amount),
        "tenor": request.tenor_months,
    }
    if request.tenor_months is None:
        message = _(
            "%(product)s would cost %(apr)s a year (APR) for %(amount)s over any of its tenors, "
            "above its ceiling of %(ceiling)s."
        )
    else:
        message = _(
            "%(product)s would cost %(apr)s a year (APR) for %(amount)s over %(tenor)s months, "
            "above its ceiling of %(ceiling)s."
        )
    return AmountNotOffered(message % values, field="amount")


def _amount_range_message(line: BundleLine) -> str:
    product = line.product
    values = {
        "product": product.code,
        "min": money_str(product.min_amount) if product.min_amount is not None else "",
        "max": money_str(product.max_amount) if product.max_amount is not None else "",
        "currency": product.currency,
    }
    if product.min_amount is None:
        return _("%(product)s is offered for amounts up to %(max)s %(currency)s.") % values
    if product.max_amount is None:
        return _("%(product)s is offered for amounts from %(min)s %(currency)s.") % values
    return _("%(product)s is offered for amounts from %(min)s to %(max)s %(currency)s.") % values


def _offer(line: BundleLine, request: QuoteRequest) -> Offer:
    price, rows = price_line(line, request)
    return Offer(
        product=line.product.code,
        category=line.product.category,
        position=line.position,
        role=line.role,
        price=price,
        reward=reward_for(line.reward, request.amount) if line.reward is not None else None,
        schedule=rows,
        tenor_months=request.tenor_months if rows is not None else None,
        repayment_method=line.product.repayment_method,
    )
