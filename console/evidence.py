"""A risk signal's evidence as people read it: a small table of labelled rows in the user's
language — money as money (``core.money``), rates as percentages, counts as whole numbers.

The scan stores the evidence as data (``RiskSignal.evidence``: codes, numbers as strings);
each rule says here how its figures are labelled and shown. The scenario and product a signal
names are looked up once per page (:func:`evidence_names`), never per signal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.money import MISSING, money_text, percent_text
from products.models import Product
from scenarios.models import Scenario

from .models import RiskSignal

COUNT, NUMBER, MONEY, PERCENT, TIMES, TEXT, SCENARIO, PRODUCT = (
    "count",
    "number",
    "money",
    "percent",
    "times",
    "text",
    "scenario",
    "product",
)
Rule = RiskSignal.Rule

# Per rule, its evidence in the order shown: (key, label, how the value is shown).
EVIDENCE: dict[str, tuple[tuple[str, Promise, str], ...]] = {
    Rule.VELOCITY: (
        ("transactions", _("Transactions that day"), COUNT),
        ("baseline_daily_average", _("Average a day before"), NUMBER),
        ("baseline_days", _("Days compared"), COUNT),
        ("ratio", _("Times the average"), TIMES),
    ),
    Rule.REPEATED_AMOUNT: (
        ("customer_ref", _("Customer reference"), TEXT),
        ("amount", _("Amount"), MONEY),
        ("transactions", _("Transactions"), COUNT),
    ),
    Rule.REFUND_RATIO: (
        ("sales", _("Sales"), COUNT),
        ("sold", _("Sold"), MONEY),
        ("refunded", _("Refunded"), MONEY),
        ("ratio", _("Refunded of sold"), PERCENT),
        ("threshold", _("Threshold"), PERCENT),
    ),
    Rule.OUT_OF_RANGE: (
        ("scenario", _("Scenario"), SCENARIO),
        ("product", _("Product"), PRODUCT),
        ("transactions", _("Transactions"), COUNT),
        ("amount", _("Amount"), MONEY),
    ),
    Rule.OUT_OF_HOURS: (
        ("transactions", _("Transactions"), COUNT),
        ("hours", _("Hours (Asia/Shanghai)"), TEXT),
    ),
}
SHOWN_APART = frozenset({"currency"})  # the currency goes with the amounts, not on a row


@dataclass(frozen=True)
class EvidenceNames:
    """The names of the scenarios and products the signals of one page name, by code."""

    scenarios: dict[str, str] = field(default_factory=dict)
    products: dict[str, str] = field(default_factory=dict)


def evidence_names(signals: Iterable[RiskSignal]) -> EvidenceNames:
    """One query each for the scenarios and products named by ``signals`` (none when none is)."""
    scenarios, products = set(), set()
    for signal in signals:
        for key, _label, kind in EVIDENCE.get(signal.rule, ()):
            value = signal.evidence.get(key)
            if value and kind == SCENARIO:
                scenarios.add(value)
            elif value and kind == PRODUCT:
                products.add(value)
    fields = ("code", "name", "name_zh")
    # A scenario's newest version names it (versions of one code may rename it).
    found_scenarios = Scenario.objects.filter(code__in=scenarios).order_by("code", "version").only(*fields)
    found_products = Product.objects.filter(code__in=products).only(*fields)
    return EvidenceNames(
        {s.code: s.local_name for s in found_scenarios} if scenarios else {},
        {p.code: p.local_name for p in found_products} if products else {},
    )


def _shown(kind: str, value, currency: str, names: EvidenceNames) -> str:
    if value is None or value == "":
        return _("none before") if kind == TIMES else MISSING
    if kind == COUNT:
        return number_format(int(value), force_grouping=True)
    if kind == NUMBER:
        return number_format(Decimal(str(value)), decimal_pos=2, force_grouping=True)
    if kind == TIMES:
        return (
            f"{number_format(Decimal(str(value)), decimal_pos=2, force_grouping=True)}\N{MULTIPLICATION SIGN}"
        )
    if kind == MONEY:
        return money_text(value, currency)
    if kind == PERCENT:
        return percent_text(value)
    if kind == SCENARIO:
        return names.scenarios.get(value, value)
    if kind == PRODUCT:
        return names.products.get(value, value)
    return str(value)


def evidence_rows(signal: RiskSignal, names: EvidenceNames | None = None) -> list[tuple[str, str]]:
    """``(label, value)`` rows of ``signal``'s evidence, in the active language. Figures a rule
    does not describe (signals stored before it did) follow as they are."""
    names = names or evidence_names([signal])
    evidence = signal.evidence or {}
    currency = evidence.get("currency", "")
    described = EVIDENCE.get(signal.rule, ())
    rows = [
        (str(label), _shown(kind, evidence[key], currency, names))
        for key, label, kind in described
        if key in evidence
    ]
    known = {key for key, _label, _kind in described} | SHOWN_APART
    rows += [
        (key.replace("_", " ").capitalize(), str(value))
        for key, value in evidence.items()
        if key not in known
    ]
    return rows
