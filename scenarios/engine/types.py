"""The engine's inputs and outputs: frozen dataclasses, every amount a ``Decimal``.

Inputs describe a scenario version as the engine needs it (``ScenarioTerms`` with its
``BundleLine`` items, each holding its ``ProductTerms``); ``QuoteRequest`` is what a partner
asks; ``Offer`` (with ``Price``, ``Reward`` and ``ScheduleRow``) is the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import NamedTuple

from .money import ZERO


def _no_adjustments() -> Mapping[str, Decimal]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ProductTerms:
    """A product's typed terms (``products.models.Product``); see ``products.terms`` for what
    ``rate`` means per category."""

    code: str
    category: str
    currency: str = "CNY"
    rate: Decimal | None = None
    rate_floor: Decimal | None = None
    rate_ceiling: Decimal | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    tenor_months: tuple[int, ...] = ()
    repayment_method: str = ""
    minimum_charge: Decimal | None = None
    fixed_fee: Decimal | None = None
    segment_adjustments: Mapping[str, Decimal] = field(default_factory=_no_adjustments)


@dataclass(frozen=True, slots=True)
class RewardTerms:
    """What a bundle item gives the customer with the offer.

    ``cashback``: ``rate`` × amount (capped at ``cap``) or a fixed ``amount``; ``points``:
    ``rate`` points per yuan, whole points rounded down; ``coupon``: a coupon of face value
    ``amount`` described by ``description``.
    """

    kind: str
    rate: Decimal | None = None
    amount: Decimal | None = None
    cap: Decimal | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class BundleLine:
    """One item of a scenario: its product, place and role, the bundle's overrides."""

    position: int
    product: ProductTerms
    role: str = "primary"
    rate_adjustment: Decimal = Decimal(0)  # added to the priced rate, within the product's bounds
    fee_waiver: Decimal = Decimal(0)  # the share of the fee waived, 0 to 1
    reward: RewardTerms | None = None


@dataclass(frozen=True, slots=True)
class ScenarioTerms:
    code: str
    version: int
    trigger_events: frozenset[str]
    lines: tuple[BundleLine, ...]
    segments: frozenset[str] = frozenset()  # the catalog's segment codes; empty: any accepted


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    event: str
    amount: Decimal
    currency: str = "CNY"
    segment: str | None = None
    tenor_months: int | None = None


class ScheduleRow(NamedTuple):
    """One monthly period; ``payment`` is always ``principal + interest + fee`` (build rows with
    ``schedule_row``). A NamedTuple rather than a frozen dataclass: an offer carries up to 60
    rows and a tuple is about three times cheaper to build."""

    period: int
    principal: Decimal
    interest: Decimal
    fee: Decimal
    payment: Decimal


def schedule_row(period: int, principal: Decimal, interest: Decimal, fee: Decimal = ZERO) -> ScheduleRow:
    return ScheduleRow(period, principal, interest, fee, principal + interest + fee)


@dataclass(frozen=True, slots=True)
class Price:
    """What the offer costs (or, for deposits and wealth, earns). Only the parts that apply to
    the category are set; see the package docstring."""

    annual_rate: Decimal | None = None
    fee_rate: Decimal | None = None
    fee: Decimal | None = None
    premium_rate: Decimal | None = None
    premium: Decimal | None = None
    expected_return: Decimal | None = None
    apr: Decimal | None = None  # credit: the annualised rate by IRR of the cash flows (``apr``)


@dataclass(frozen=True, slots=True)
class Reward:
    kind: str
    amount: Decimal | None = None
    points: int | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Offer:
    product: str
    category: str
    position: int
    role: str
    price: Price
    reward: Reward | None = None
    schedule: tuple[ScheduleRow, ...] | None = None
    tenor_months: int | None = None
    repayment_method: str = ""

    @property
    def total_interest(self) -> Decimal:
        return sum((row.interest for row in self.schedule or ()), ZERO)

    @property
    def total_fee(self) -> Decimal:
        return sum((row.fee for row in self.schedule or ()), ZERO)
