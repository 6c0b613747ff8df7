"""The offer engine: pure functions over frozen dataclasses, no database access.

``quote(scenario, request)`` runs eligibility → price → schedule → reward for every item of a
scenario version and answers a tuple of ``Offer`` in item order; ``offer_as_dict`` gives the
open API's JSON shape. Every amount is a ``Decimal`` to the fen (``ROUND_HALF_UP`` once per
computation), every rate a ``Decimal`` fraction to 6 places.

Pricing: base rate + segment adjustment + bundle adjustment, clamped to the product's floor and
ceiling (``pricing.priced_rate``). What ``price`` holds per category (JSON keys):

=================================================  ==========================================
category                                           ``price``
=================================================  ==========================================
installment, consumer credit, supply-chain         ``{"annual_rate": "0.129000",
finance, credit-limit uplift                       "apr": "0.129001"}``
installment, interest-free promotion               ``{"annual_rate": "0.000000",
                                                   "fee_rate": "0.006000", "apr": "0.122394"}``
                                                   (monthly fee rate on the amount; each
                                                   schedule row has ``fee``)
deposit, wealth management                         ``{"annual_rate": "0.028000"}`` plus
                                                   ``"expected_return": "280.00"`` (simple, over
                                                   the tenor) when a tenor is asked for
insurance                                          ``{"premium_rate": "0.005000",
                                                   "premium": "35.00"}`` (the rate on the insured
                                                   amount, at least the minimum premium)
payment, merchant services                         ``{"fee_rate": "0.006000", "fee": "60.00"}``
                                                   (at least the minimum fee, less the waiver)
data service                                       ``{"fee": "0.50"}`` (the fixed fee per use)
=================================================  ==========================================

``apr`` (every credit offer, ``apr``): the annualised rate by IRR of the schedule's cash flows,
monthly IRR × 12, to 6 places — fen rounding and flat fees included, so it is the true price. With
no tenor asked, the highest over the product's tenors that the amount can be repaid over within
the ceiling; a credit-limit uplift's is its annual rate. The product's ceiling applies to it: an
offer whose APR would be above it is left out like any product that cannot serve the request.

``schedule`` is present for credit with a repayment method when ``tenor_months`` is given:
``[{"period", "principal", "interest", "fee", "payment"}]``, monthly, principals summing exactly
to the amount, ``payment = principal + interest + fee`` (see ``schedules``). ``reward`` is
present when the bundle item has one: ``{"kind": "cashback", "amount": "12.90"}``,
``{"kind": "points", "points": 1290}`` or ``{"kind": "coupon", "amount": "50.00",
"description": "…"}`` (``description`` whenever staff wrote one).
"""

from .apr import cash_flows, credit_schedule, product_apr_ceiling, schedule_apr, worst_apr
from .money import money_str, rate_str
from .output import offer_as_dict, price_as_dict, reward_as_dict, row_as_dict
from .pricing import price_line, priced_rate, reward_for
from .quote import apr_refusal, check_request, line_refusal, quote
from .schedules import (
    annuity_payment,
    bullet,
    equal_installment,
    equal_principal,
    interest_free,
    minimum_amount,
    schedule,
)
from .types import (
    BundleLine,
    Offer,
    Price,
    ProductTerms,
    QuoteRequest,
    Reward,
    RewardTerms,
    ScenarioTerms,
    ScheduleRow,
    schedule_row,
)

__all__ = [
    "BundleLine",
    "Offer",
    "Price",
    "ProductTerms",
    "QuoteRequest",
    "Reward",
    "RewardTerms",
    "ScenarioTerms",
    "ScheduleRow",
    "annuity_payment",
    "apr_refusal",
    "bullet",
    "cash_flows",
    "check_request",
    "credit_schedule",
    "equal_installment",
    "equal_principal",
    "interest_free",
    "line_refusal",
    "minimum_amount",
    "money_str",
    "offer_as_dict",
    "price_as_dict",
    "price_line",
    "priced_rate",
    "product_apr_ceiling",
    "quote",
    "rate_str",
    "reward_as_dict",
    "reward_for",
    "row_as_dict",
    "schedule",
    "schedule_apr",
    "schedule_row",
    "worst_apr",
]
