"""Writes of scenarios and their items: drafts, publishing, new versions, clones, retiring.

Only a draft changes. Publishing checks ``scenario_publish_problems``; "edit" of a published
version is ``scenario_new_version`` (the next draft, items copied); ``scenario_clone`` starts a
new scenario from any version. Every status move writes a ``ScenarioStatusChange``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.transitions import transition
from partners.models import Partner
from partners.notifications import notify
from products.models import Product
from products.terms import charges_fee
from scenarios.exceptions import (
    BundleItemInvalid,
    ScenarioError,
    ScenarioImmutable,
    ScenarioNotPublishable,
    ScenarioStatusInvalid,
)
from scenarios.models import (
    BundleItem,
    Campaign,
    Participation,
    Scenario,
    ScenarioStatusChange,
    data_purposes_normalised,
)
from scenarios.selectors import terms_forget

from ._common import require
from .campaigns import bundle_item_campaign_errors
from .consents import consent_purposes_errors
from .participation import participation_status_change

logger = logging.getLogger(__name__)

Status = Scenario.Status
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.PUBLISHED, Status.RETIRED}),
    Status.PUBLISHED: frozenset({Status.RETIRED}),
    Status.RETIRED: frozenset(),
}
TRIGGER_EVENT = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# What staff edit on a draft (and what a new version or a clone copies), in form order.
SCENARIO_FIELDS = (
    "name",
    "name_zh",
    "description",
    "description_zh",
    "industry",
    "reserved_for",
    "trigger_events",
    "data_shared",
    "data_shared_zh",
    "data_purpose",
    "data_purpose_zh",
    "data_purposes",
)
ITEM_VALUES = ("rate_adjustment", "fee_waiver", "reward_kind", "reward_rate", "reward_amount", "reward_cap")
# A new version keeps the items' campaigns (by id: no query per item).
_COPIED_ITEM_FIELDS = ("position", "role", *ITEM_VALUES, "reward_description", "campaign_id")


# --------------------------------------------------------------------------------------
# Scenario drafts
# --------------------------------------------------------------------------------------
def parse_trigger_events(value: object) -> list[str]:
    """``"booking.created, order.paid"`` or a list, as a de-duplicated list in the given order."""
    parts = value if isinstance(value, list | tuple) else re.split(r"[\s,;]+", str(value or ""))
    events: list[str] = []
    for part in parts:
        event = str(part).strip()
        if event and event not in events:
            events.append(event)
    return events


def trigger_events_errors(events: Iterable[str]) -> list[str]:
    bad = [event for event in events if not TRIGGER_EVENT.match(event)]
    if bad:
        return [
            _("Events are lower-case dotted names such as booking.created; these are not: %(events)s.")
            % {"events": ", ".join(bad)}
        ]
    return []


def _locked(scenario: Scenario) -> Scenario:
    return Scenario.objects.select_for_update().get(pk=scenario.pk)


def _require_draft(scenario: Scenario) -> None:
    if scenario.status != Status.DRAFT:
        raise ScenarioImmutable(
            _(
                "Version %(version)d of %(code)s is %(status)s and cannot change; edit it to make a new draft version."
            )
            % {
                "version": scenario.version,
                "code": scenario.code,
                "status": Status(scenario.status).label.lower(),
            }
        )


@transaction.atomic
def scenario_save_draft(*, scenario: Scenario, actor) -> Scenario:
    """Store a new scenario (version 1) or changes to a draft version."""
    scenario.trigger_events = parse_trigger_events(scenario.trigger_events)
    errors = trigger_events_errors(scenario.trigger_events)
    if errors:
        raise ScenarioError(errors[0], field="trigger_events")
    purposes = scenario.data_purposes if isinstance(scenario.data_purposes, list | tuple) else [None]
    errors = consent_purposes_errors(purposes)
    if errors:
        raise ScenarioError(errors[0], field="data_purposes")
    scenario.data_purposes = data_purposes_normalised(purposes)
    if scenario.pk is None:
        require(actor, "scenarios.add_scenario", system=True)
        if Scenario.objects.filter(code=scenario.code).exists():
            raise ScenarioError(
                _("A scenario with this code exists; edit it to make a new version."), field="code"
            )
        scenario.version, scenario.status, scenario.created_by = 1, Status.DRAFT, actor
    else:
        require(actor, "scenarios.change_scenario", system=True)
        stored = _locked(scenario)
        _require_draft(stored)
        if stored.code != scenario.code:
            raise ScenarioError(_("The code of a scenario never changes."), field="code")
        scenario.status, scenario.version = stored.status, stored.version
    scenario._history_user = actor
    scenario.save()
    return scenario


def scenario_create(*, actor, code: str, name: str, industry, **fields) -> Scenario:
    """A new draft scenario (version 1)."""
    _check_fields(fields)
    return scenario_save_draft(
        scenario=Scenario(code=code, name=name, industry=industry, **fields), actor=actor
    )


def scenario_update(*, scenario: Scenario, actor, **changes) -> Scenario:
    """Change a draft version."""
    _check_fields(changes)
    scenario = Scenario.objects.get(pk=scenario.pk)
    for field, value in changes.items():
        setattr(scenario, field, value)
    return scenario_save_draft(scenario=scenario, actor=actor)


def _check_fields(fields: Mapping) -> None:
    unknown = set(fields).difference(SCENARIO_FIELDS)
    if unknown:
        raise TypeError(f"unexpected scenario fields: {', '.join(sorted(unknown))}")


# --------------------------------------------------------------------------------------
# Bundle items
# --------------------------------------------------------------------------------------
def _dec(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _percent_exact(rate: Decimal) -> str:
    """A rate as a percentage with every place it has (at least two): 0.180001 is 18.0001 %,
    never rounded back inside the bounds it breaks."""
    shown = rate * 100
    return f"{shown.quantize(Decimal('0.01')) if shown == shown.quantize(Decimal('0.01')) else shown.normalize():f} %"


def bundle_item_errors(
    *, product: Product, values: Mapping[str, object], adding: bool = True
) -> dict[str, list[str]]:
    """Every reason ``values`` (the ``ITEM_VALUES``) do not fit ``product``; empty when they do.

    Overrides stay within the product's bounds: the bundle's rate (base + adjustment) lies
    between the floor and the ceiling, and only a product that charges a fee can waive it.
    ``adding``: the product is new to the item (a retired product cannot be added).
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if adding and product.status == Product.Status.RETIRED:
        add(
            "product",
            _("%(product)s is retired and cannot be added to a bundle.") % {"product": product.code},
        )

    adjustment = _dec(values.get("rate_adjustment")) or Decimal(0)
    if adjustment:
        if product.rate is None:
            add("rate_adjustment", _("This product has no rate to adjust."))
        elif not (product.rate_floor <= product.rate + adjustment <= product.rate_ceiling):
            add(
                "rate_adjustment",
                _("The bundle rate %(rate)s would leave the product's bounds %(floor)s–%(ceiling)s.")
                % {
                    "rate": _percent_exact(product.rate + adjustment),
                    "floor": _percent_exact(product.rate_floor),
                    "ceiling": _percent_exact(product.rate_ceiling),
                },
            )

    waiver = _dec(values.get("fee_waiver")) or Decimal(0)
    if not (0 <= waiver <= 1):
        add("fee_waiver", _("The fee waiver is a share between 0 and 1."))
    elif waiver and not charges_fee(product.category, product.repayment_method):
        add("fee_waiver", _("This product charges no fee to waive."))

    _reward_errors(values, add)
    return errors


def _reward_errors(values: Mapping[str, object], add) -> None:
    kind = values.get("reward_kind") or ""
    rate, amount, cap = (_dec(values.get(f)) for f in ("reward_rate", "reward_amount", "reward_cap"))
    given = {"reward_rate": rate, "reward_amount": amount, "reward_cap": cap}
    for field, value in given.items():
        if value is not None and value < 0:
            add(field, _("A reward cannot be negative."))
    if not kind:
        for field, value in given.items():
            if value is not None:
                add(field, _("Choose a reward kind first."))
    elif kind == BundleItem.RewardKind.CASHBACK:
        if (rate is None) == (amount is None):
            add(
                "reward_rate",
                _("Cashback is either a rate of the amount or a fixed amount: give one of them."),
            )
        if cap is not None and rate is None:
            add("reward_cap", _("Only a cashback rate takes a cap."))
        if rate is not None and rate > 1:
            add("reward_rate", _("A cashback rate is a share of the amount, at most 1."))
    elif kind == BundleItem.RewardKind.POINTS:
        if not rate:
            add("reward_rate", _("Points need a number of points per yuan."))
        if amount is not None:
            add("reward_amount", _("Points take no amount."))
    elif kind == BundleItem.RewardKind.COUPON:
        if not amount:
            add("reward_amount", _("A coupon needs its face value."))
        for field in ("reward_rate", "reward_cap"):
            if given[field] is not None:
                add(field, _("A coupon takes only a face value."))


@transaction.atomic
def bundle_item_save(*, item: BundleItem, actor) -> BundleItem:
    """Store a new or changed item of a draft scenario."""
    require(actor, "scenarios.change_scenario", system=True)
    _require_draft(_locked(item.scenario))
    stored_product_id = None
    if item.pk is not None:
        stored_product_id = BundleItem.objects.filter(pk=item.pk).values_list("product_id", flat=True).first()
    values = {field: getattr(item, field) for field in ITEM_VALUES}
    errors = bundle_item_errors(
        product=item.product, values=values, adding=stored_product_id != item.product_id
    )
    campaign = Campaign.objects.filter(pk=item.campaign_id).first() if item.campaign_id else None
    for field, message in bundle_item_campaign_errors(
        product=item.product, reward_kind=item.reward_kind, campaign=campaign
    ).items():
        errors.setdefault(field, []).append(message)
    if errors:
        field, messages = next(iter(errors.items()))
        exc = BundleItemInvalid(messages[0], field=field)
        exc.errors = errors
        raise exc
    others = BundleItem.objects.filter(scenario=item.scenario).exclude(pk=item.pk)
    if others.filter(product=item.product).exists():
        raise BundleItemInvalid(_("This product is already in the bundle."), field="product")
    if item.position is None:
        item.position = (others.aggregate(top=Max("position"))["top"] or 0) + 1
    elif others.filter(position=item.position).exists():
        raise BundleItemInvalid(_("Another item already has this position."), field="position")
    item.rate_adjustment = item.rate_adjustment or Decimal(0)
    item.fee_waiver = item.fee_waiver or Decimal(0)
    item._history_user = actor
    item.save()
    return item


def bundle_item_add(
    *, scenario: Scenario, product: Product, actor, position: int | None = None, **values
) -> BundleItem:
    """Add ``product`` to a draft scenario (at the end unless ``position`` is given)."""
    unknown = set(values) - {*ITEM_VALUES, "role", "reward_description", "campaign"}
    if unknown:
        raise TypeError(f"unexpected item fields: {', '.join(sorted(unknown))}")
    item = BundleItem(scenario=scenario, product=product, position=position, **values)
    return bundle_item_save(item=item, actor=actor)


PARKED = 10000  # positions are 1–999: moved items wait above that while the others settle


@transaction.atomic
def bundle_items_save(
    *, scenario: Scenario, items: Iterable[BundleItem], removed: Iterable[BundleItem] = (), actor
):
    """Store several items of a draft at once (the admin's inline): removals first, then items
    that already exist are parked out of the way so that two can swap positions."""
    require(actor, "scenarios.change_scenario")
    _require_draft(_locked(scenario))
    for item in removed:
        bundle_item_remove(item=item, actor=actor)
    items = list(items)
    existing = [item.pk for item in items if item.pk is not None]
    if existing:
        BundleItem.objects.filter(pk__in=existing).update(position=F("position") + PARKED)
    return [bundle_item_save(item=item, actor=actor) for item in items]


@transaction.atomic
def bundle_item_remove(*, item: BundleItem, actor) -> None:
    require(actor, "scenarios.change_scenario")
    _require_draft(_locked(item.scenario))
    item._history_user = actor
    item.delete()


# --------------------------------------------------------------------------------------
# Publishing and status
# --------------------------------------------------------------------------------------
def scenario_publish_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """Every reason the version cannot be published, as ``(field, message)``; shown to staff on
    the admin page before they publish. One query for the items and their products."""
    problems: list[tuple[str, str]] = []
    if not scenario.trigger_events:
        problems.append(("trigger_events", _("Name at least one trigger event.")))
    if not scenario.data_shared.strip():
        problems.append(("data_shared", _("Declare which customer data the partner sends.")))
    if not scenario.data_purpose.strip():
        problems.append(("data_purpose", _("Declare why the bank needs that data.")))
    items = list(scenario.items.select_related("product")) if scenario.pk else []
    if not items:
        problems.append(("items", _("Add at least one product.")))
    elif not any(item.role == BundleItem.Role.PRIMARY for item in items):
        problems.append(("items", _("Mark at least one product as primary.")))
    for item in items:
        product = item.product
        if product.status == Product.Status.RETIRED:
            problems.append(("items", _("%(product)s is retired: remove it.") % {"product": product.code}))
        elif product.status == Product.Status.DRAFT:
            problems.append(
                ("items", _("%(product)s is still a draft: activate it first.") % {"product": product.code})
            )
        values = {field: getattr(item, field) for field in ITEM_VALUES}
        for messages in bundle_item_errors(product=product, values=values, adding=False).values():
            problems.extend(("items", f"{product.code}: {message}") for message in messages)
    return problems


@transaction.atomic
def scenario_status_change(*, scenario: Scenario, to: str, actor, reason: str = "") -> Scenario:
    """Move a version to ``to`` if the allowed-moves map permits it, writing the change row."""
    require(actor, "scenarios.change_scenario_status", system=True)
    scenario = _locked(scenario)
    current = scenario.status
    publishing = to == Status.PUBLISHED
    transition(
        scenario,
        to,
        moves=ALLOWED_MOVES,
        actor=actor,
        reason=reason,
        change_model=ScenarioStatusChange,
        error=ScenarioStatusInvalid,
        check=_publishable if publishing else None,
        changes={"published_at": timezone.now()} if publishing else None,
    )
    terms_forget()  # every process quotes from the new status on its next request
    logger.info("scenario %s v%d: %s -> %s", scenario.code, scenario.version, current, to)
    return scenario


def _publishable(scenario: Scenario) -> None:
    problems = scenario_publish_problems(scenario)
    if problems:
        raise ScenarioNotPublishable(problems)


@transaction.atomic
def scenario_publish(*, scenario: Scenario, actor, reason: str = "") -> Scenario:
    """Publish a draft version. Older published versions stay published for the partners on
    them; new partners join the latest. Each partner active on an older version is told
    (``scenario.version_published``): it moves when it chooses."""
    scenario = scenario_status_change(scenario=scenario, to=Status.PUBLISHED, actor=actor, reason=reason)
    # One notification per partner (the notification centre's unit); one query to find them.
    for partner in Partner.objects.filter(
        participations__scenario_code=scenario.code,
        participations__status=Participation.Status.ACTIVE,
        participations__scenario__version__lt=scenario.version,
    ).distinct():
        notify(
            kind="scenario.version_published",
            partner=partner,
            target=scenario,
            params={"scenario": f"{scenario.name} ({scenario.code})", "version": str(scenario.version)},
        )
    return scenario


@transaction.atomic
def scenario_retire(*, scenario: Scenario, actor, reason: str, end_participations: bool = False) -> Scenario:
    """Retire a version. Partners still active on it must move first, unless
    ``end_participations`` ends their participation (and open requests) with this reason."""
    if not reason.strip():
        raise ScenarioError(_("Say why the scenario is retired."), field="reason")
    open_participations = list(
        Participation.objects.select_for_update().filter(scenario=scenario, status__in=Participation.OPEN)
    )
    active = [p for p in open_participations if p.is_active]
    if active and not end_participations:
        raise ScenarioError(
            ngettext(
                "%(count)d partner is still active on this version; move it or end its participation first.",
                "%(count)d partners are still active on this version; move them or end their participation first.",
                len(active),
            )
            % {"count": len(active)},
            field="status",
        )
    scenario = scenario_status_change(scenario=scenario, to=Status.RETIRED, actor=actor, reason=reason)
    for participation in open_participations:
        to = Participation.Status.ENDED if participation.is_active else Participation.Status.DECLINED
        participation_status_change(
            participation=participation, to=to, actor=actor, reason=reason, staff=True
        )
    return scenario


# --------------------------------------------------------------------------------------
# New versions and clones
# --------------------------------------------------------------------------------------
def _copy_items(source: Scenario, target: Scenario) -> list[str]:
    """Copy the items of ``source`` into ``target``; retired products are left out (a retired
    product cannot be added to a bundle). Answers the codes left out."""
    items, left_out = [], []
    for item in source.items.select_related("product").order_by("position"):
        if item.product.status == Product.Status.RETIRED:
            left_out.append(item.product.code)
            continue
        items.append(
            BundleItem(
                scenario=target, product=item.product, **{f: getattr(item, f) for f in _COPIED_ITEM_FIELDS}
            )
        )
    BundleItem.objects.bulk_create(items)
    return left_out


def _copy(source: Scenario, *, code: str, version: int, actor, **overrides) -> Scenario:
    copy = Scenario(
        code=code,
        version=version,
        status=Status.DRAFT,
        based_on=source,
        created_by=actor,
        **{field: getattr(source, field) for field in SCENARIO_FIELDS},
    )
    for field, value in overrides.items():
        setattr(copy, field, value)
    copy._history_user = actor
    copy.save()
    copy.left_out_products = _copy_items(source, copy)
    return copy


@transaction.atomic
def scenario_new_version(*, scenario: Scenario, actor) -> Scenario:
    """ "Edit" a published or retired version: the next draft version, with the same items (less
    retired products, listed in ``left_out_products``). Partners stay on their version."""
    require(actor, "scenarios.add_scenario")
    # Lock every version of the code so two staff members cannot both make version N+1.
    versions = list(Scenario.objects.select_for_update().filter(code=scenario.code).order_by("-version"))
    draft = next((v for v in versions if v.status == Status.DRAFT), None)
    if draft is not None:
        raise ScenarioError(
            _("Version %(version)d of %(code)s is already a draft: edit that one.")
            % {"version": draft.version, "code": draft.code},
            field="status",
        )
    return _copy(scenario, code=scenario.code, version=versions[0].version + 1, actor=actor)


@transaction.atomic
def scenario_clone(
    *, scenario: Scenario, actor, code: str, name: str | None = None, industry=None, reserved_for=None
) -> Scenario:
    """A new scenario (version 1, draft) from any version: a template for another industry or
    reserved for one partner."""
    require(actor, "scenarios.add_scenario")
    if Scenario.objects.filter(code=code).exists():
        raise ScenarioError(_("A scenario with this code exists; choose another code."), field="code")
    overrides = {"reserved_for": reserved_for}
    if name:
        overrides["name"] = name
    if industry is not None:
        overrides["industry"] = industry
    return _copy(scenario, code=code, version=1, actor=actor, **overrides)
