"""What changed between two versions of a scenario, as a partner reads it before moving.

``version_diff(old, new)`` is a pure function of two loaded versions (their ``items`` with
``product`` and ``campaign`` prefetched, as ``scenarios.selectors.scenario_versions_to_compare``
loads them): no query, no clock. It compares the raw terms (so a change below the shown
precision still counts) and writes each side as people read it: rates as percentages, amounts
as money in the product's currency, codes as their names in the active language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.i18n import localized
from core.money import MISSING, money_text, percent_text

from .models import BundleItem, Scenario

ADDED, REMOVED, CHANGED, SAME = "added", "removed", "changed", "same"


@dataclass(frozen=True)
class Change:
    """One term that differs: its name and both sides as text."""

    field: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ItemDiff:
    """One product of either version: added, removed, changed (``changes``) or the same.
    ``before`` / ``after``: every term of the line as ``(label, text)``, None on the side
    where the product is not in the bundle."""

    product_code: str
    product_name: str
    state: str
    before: tuple[tuple[str, str], ...] | None
    after: tuple[tuple[str, str], ...] | None
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    old_version: int
    new_version: int
    items: tuple[ItemDiff, ...]
    events_added: tuple[str, ...] = ()
    events_removed: tuple[str, ...] = ()
    scenario_changes: tuple[Change, ...] = field(default=())

    def _in(self, state: str) -> list[ItemDiff]:
        return [item for item in self.items if item.state == state]

    @property
    def added(self) -> list[ItemDiff]:
        return self._in(ADDED)

    @property
    def removed(self) -> list[ItemDiff]:
        return self._in(REMOVED)

    @property
    def changed(self) -> list[ItemDiff]:
        return self._in(CHANGED)

    @property
    def same(self) -> list[ItemDiff]:
        return self._in(SAME)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.events_added
            or self.events_removed
            or self.scenario_changes
            or any(item.state != SAME for item in self.items)
        )


def bundle_rate(item: BundleItem) -> Decimal | None:
    """The product's base rate with the bundle's adjustment, within the product's floor and
    ceiling (as the engine prices it before any segment adjustment); None without a rate."""
    product = item.product
    if product.rate is None:
        return None
    rate = product.rate + item.rate_adjustment
    if product.rate_floor is not None:
        rate = max(rate, product.rate_floor)
    if product.rate_ceiling is not None:
        rate = min(rate, product.rate_ceiling)
    return rate


def _number(value: Decimal | None) -> str:
    return MISSING if value is None else number_format(value.normalize(), use_l10n=True, force_grouping=True)


def _reward_rate_text(item: BundleItem, places: int) -> str:
    if item.reward_rate is None:
        return MISSING
    if item.reward_kind == BundleItem.RewardKind.POINTS:
        return _("%(points)s points per yuan") % {"points": _number(item.reward_rate)}
    return percent_text(item.reward_rate, places)


def _reward_cap_text(item: BundleItem) -> str:
    if item.reward_cap is None:
        return MISSING
    if item.reward_kind == BundleItem.RewardKind.POINTS:
        return _("%(points)s points") % {"points": _number(item.reward_cap)}
    return money_text(item.reward_cap, item.product.currency)


def _campaign_text(item: BundleItem) -> str:
    return item.campaign.local_name if item.campaign_id else MISSING


# Each term of a line: (field, label, raw value, text at the given number of percent places).
TERMS = (
    ("role", gettext_lazy("Role"), lambda i: i.role, lambda i, p: str(i.get_role_display())),
    (
        "rate_adjustment",
        gettext_lazy("Bundle rate adjustment"),
        lambda i: i.rate_adjustment,
        lambda i, p: percent_text(i.rate_adjustment, p),
    ),
    ("rate", gettext_lazy("Rate in this bundle"), bundle_rate, lambda i, p: percent_text(bundle_rate(i), p)),
    (
        "fee_waiver",
        gettext_lazy("Fee waived"),
        lambda i: i.fee_waiver,
        lambda i, p: percent_text(i.fee_waiver, p),
    ),
    (
        "reward_kind",
        gettext_lazy("Reward"),
        lambda i: i.reward_kind,
        lambda i, p: str(i.get_reward_kind_display()) if i.reward_kind else MISSING,
    ),
    ("reward_rate", gettext_lazy("Reward rate"), lambda i: i.reward_rate, _reward_rate_text),
    (
        "reward_amount",
        gettext_lazy("Reward amount"),
        lambda i: i.reward_amount,
        lambda i, p: money_text(i.reward_amount, i.product.currency),
    ),
    ("reward_cap", gettext_lazy("Reward cap"), lambda i: i.reward_cap, lambda i, p: _reward_cap_text(i)),
    ("campaign", gettext_lazy("Campaign"), lambda i: i.campaign_id, lambda i, p: _campaign_text(i)),
    (
        "reward_description",
        gettext_lazy("Reward description"),
        lambda i: i.reward_description,
        lambda i, p: i.reward_description or MISSING,
    ),
)
# Rates hold six decimals: four places of a percentage show any difference exactly.
EXACT_PLACES = 4


def _terms(item: BundleItem) -> tuple[tuple[str, str], ...]:
    """Every term of a line that has a value (a line without a reward shows "Reward: —" only)."""
    terms = ((name, str(label), text(item, 2)) for name, label, _raw, text in TERMS)
    return tuple((label, shown) for name, label, shown in terms if shown != MISSING or name == "reward_kind")


def _changes(old: BundleItem, new: BundleItem) -> tuple[Change, ...]:
    changes = []
    for name, label, raw, text in TERMS:
        if raw(old) == raw(new):
            continue
        before, after = text(old, 2), text(new, 2)
        if before == after:  # differs below the shown precision: show it exactly
            before, after = text(old, EXACT_PLACES), text(new, EXACT_PLACES)
        changes.append(Change(name, str(label), before, after))
    return tuple(changes)


def version_diff(old: Scenario, new: Scenario) -> VersionDiff:
    """What ``new`` changes against ``old`` (two versions of one scenario): products in the
    new version's order (changed or the same), then those it adds, then those it removes;
    trigger events added and removed; the data-use texts that differ. No query."""
    before = {item.product.code: item for item in old.items.all()}
    after = {item.product.code: item for item in new.items.all()}
    kept, added = [], []
    for code, item in after.items():
        if code in before:
            changes = _changes(before[code], item)
            kept.append(
                ItemDiff(
                    code,
                    item.product.local_name,
                    CHANGED if changes else SAME,
                    _terms(before[code]),
                    _terms(item),
                    changes,
                )
            )
        else:
            added.append(ItemDiff(code, item.product.local_name, ADDED, None, _terms(item)))
    removed = [
        ItemDiff(code, item.product.local_name, REMOVED, _terms(item), None)
        for code, item in before.items()
        if code not in after
    ]
    old_events, new_events = list(old.trigger_events or ()), list(new.trigger_events or ())
    scenario_changes = [
        Change(name, str(label), localized(old, name) or MISSING, localized(new, name) or MISSING)
        for name, label in (
            ("data_shared", _("Customer data you send")),
            ("data_purpose", _("Why the bank needs it")),
        )
        if localized(old, name) != localized(new, name)
    ]
    return VersionDiff(
        old_version=old.version,
        new_version=new.version,
        items=(*kept, *added, *removed),
        events_added=tuple(e for e in new_events if e not in old_events),
        events_removed=tuple(e for e in old_events if e not in new_events),
        scenario_changes=tuple(scenario_changes),
    )
