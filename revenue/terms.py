"""An agreement's terms as the partner accepts them: their fingerprint and their meaning in words.

``terms_sha256`` is the SHA-256 of one canonical JSON of everything the partner agrees to — the
model, the terms, the basis, the cycle, the currency, the scenario and the dates. It is written
when the bank sends the agreement and checked again when the partner accepts it; both change
rows keep it. The canonical form is fixed (docs/revenue.md): changing it would make every
recorded hash unverifiable, and ``tests/revenue/test_agreement_acceptance.py`` pins one value.

``terms_in_words`` and ``worked_example`` say what the terms mean in money, priced by the code
settlement prices with (``revenue.money``). Pure functions: no database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from core.fen import to_fen
from core.forms import percent_figure
from core.money import money_text, percent_text

from .money import line_shares

PERCENTAGE, TIERED, FIXED = "percentage", "tiered", "fixed_per_transaction"
EXAMPLE_SALES = Decimal("10000.00")
EXAMPLE_COUNT = 100


def terms_canonical(
    *,
    model: str,
    terms: dict,
    basis: str,
    cycle: str,
    currency: str,
    scenario_code: str,
    effective_from: date,
    effective_to: date | None,
) -> bytes:
    """The terms as one canonical JSON document (UTF-8, keys sorted, no spaces). ``terms`` are
    stored normalised (``terms_clean``: rates and amounts as strings), so equal terms give
    equal bytes."""
    document = {
        "basis": basis,
        "currency": currency,
        "cycle": cycle,
        "effective_from": effective_from.isoformat(),
        "effective_to": effective_to.isoformat() if effective_to else None,
        "model": model,
        "scenario": scenario_code,
        "terms": terms,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def terms_sha256(agreement) -> str:
    """The hex SHA-256 of ``agreement``'s canonical terms (any object with its fields)."""
    canonical = terms_canonical(
        model=agreement.model,
        terms=agreement.terms,
        basis=agreement.basis,
        cycle=agreement.cycle,
        currency=agreement.currency,
        scenario_code=agreement.scenario_code,
        effective_from=agreement.effective_from,
        effective_to=agreement.effective_to,
    )
    return hashlib.sha256(canonical).hexdigest()


def rate_text(rate: object) -> str:
    """A stored rate as a percentage with the places it needs (``30.00 %``, ``33.3333 %``)."""
    exact = percent_figure(Decimal(str(rate)))
    return percent_text(rate, places=max(2, -exact.as_tuple().exponent))


def terms_in_words(model: str, terms: dict, currency: str = "CNY") -> str:
    """Stored terms as a finance maker reads them: rates as percentages, amounts as money
    (``30.00 %``; ``up to 1,000.00 CNY: 10.00 %; above: 20.00 %``; ``2.50 CNY per transaction``)."""
    try:
        if model == PERCENTAGE:
            return rate_text(terms["rate"])
        if model == FIXED:
            return _("%(amount)s per transaction") % {"amount": money_text(terms["amount"], currency)}
        if model == TIERED:
            return "; ".join(
                _("above: %(rate)s") % {"rate": rate_text(tier["rate"])}
                if tier.get("up_to") is None
                else _("up to %(amount)s: %(rate)s")
                % {"amount": money_text(tier["up_to"], currency), "rate": rate_text(tier["rate"])}
                for tier in terms["tiers"]
            )
    except (KeyError, TypeError, ArithmeticError, ValueError):
        pass  # terms the services refused to keep never reach here; show them raw if they do
    return json.dumps(terms, ensure_ascii=False)


@dataclass(frozen=True)
class ExampleStep:
    """One line of a worked example: what it says and the money it comes to."""

    text: str
    amount: Decimal


@dataclass(frozen=True)
class WorkedExample:
    """``summary`` in one sentence; ``steps`` (tiered: one per band, then the rounding if any)
    add up exactly to ``share``."""

    summary: str
    sales: Decimal
    count: int
    share: Decimal
    steps: tuple[ExampleStep, ...]


def _example_sales(terms: dict) -> Decimal:
    """Sales that reach every band: the last band's start plus the first band's width."""
    bounds = [Decimal(t["up_to"]) for t in terms["tiers"] if t["up_to"] is not None]
    return bounds[-1] + bounds[0] if bounds else EXAMPLE_SALES


def worked_example(model: str, terms: dict, currency: str = "CNY") -> WorkedExample | None:
    """What the partner receives under these terms in one settlement period, in exact money:
    priced as settlement prices a statement (``revenue.money.line_shares``: tiered shares are
    rounded once on the period's total, and a rounding step says so when the bands' rounded
    amounts differ from it). None for terms that cannot be read."""
    try:
        if model == PERCENTAGE:
            share = line_shares(model=model, terms=terms, lines=[("sale", EXAMPLE_COUNT, EXAMPLE_SALES)])[0]
            summary = _("On %(sales)s of sales in a period you receive %(share)s (%(rate)s).") % {
                "sales": money_text(EXAMPLE_SALES, currency),
                "share": money_text(share, currency),
                "rate": rate_text(terms["rate"]),
            }
            return WorkedExample(summary, EXAMPLE_SALES, EXAMPLE_COUNT, share, ())
        if model == FIXED:
            share = line_shares(model=model, terms=terms, lines=[("sale", EXAMPLE_COUNT, EXAMPLE_SALES)])[0]
            summary = _(
                "For %(count)d sales in a period you receive %(share)s (%(amount)s each, whatever "
                "their amount); a sale refunded in full gives its %(amount)s back."
            ) % {
                "count": EXAMPLE_COUNT,
                "share": money_text(share, currency),
                "amount": money_text(terms["amount"], currency),
            }
            return WorkedExample(summary, EXAMPLE_SALES, EXAMPLE_COUNT, share, ())
        if model == TIERED:
            return _tiered_example(terms, currency)
    except (KeyError, TypeError, ArithmeticError, ValueError, IndexError):
        return None
    return None


def _tiered_example(terms: dict, currency: str) -> WorkedExample:
    sales = _example_sales(terms)
    share = line_shares(model=TIERED, terms=terms, lines=[("sale", EXAMPLE_COUNT, sales)])[0]
    steps: list[ExampleStep] = []
    lower = Decimal(0)
    for tier in terms["tiers"]:
        upper = None if tier["up_to"] is None else Decimal(tier["up_to"])
        top = sales if upper is None else min(sales, upper)
        if top <= lower:
            break
        part = to_fen((top - lower) * Decimal(tier["rate"]))
        steps.append(
            ExampleStep(
                _("%(rate)s of the %(width)s from %(lower)s to %(upper)s")
                % {
                    "rate": rate_text(tier["rate"]),
                    "width": money_text(top - lower, currency),
                    "lower": money_text(lower, currency),
                    "upper": money_text(top, currency),
                },
                part,
            )
        )
        lower = top
    rounding = share - sum((step.amount for step in steps), Decimal(0))
    if rounding:
        steps.append(ExampleStep(_("rounding: the period's total is rounded once, to the fen"), rounding))
    summary = _(
        "On %(sales)s of sales in a period you receive %(share)s: each band's rate applies to the part of the sales inside it."
    ) % {
        "sales": money_text(sales, currency),
        "share": money_text(share, currency),
    }
    return WorkedExample(summary, sales, EXAMPLE_COUNT, share, tuple(steps))
