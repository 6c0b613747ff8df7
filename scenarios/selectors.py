"""Reads of scenarios that the portal pages, the open API and the admin share.

Partner reads take the partner: a partner sees only the versions it actively participates in;
another partner's scenario, or one it does not take part in, is indistinguishable from a
missing one (``Scenario.DoesNotExist``). Partner-facing reads list only the items whose product
is on sale (active): a retired product is never offered.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.generations import ProcessMemo, generation_bump
from core.money import money_text, percent_text
from products.models import Product, Segment, SegmentPrice
from products.terms import Category

from .engine import BundleLine, Offer, ProductTerms, QuoteRequest, RewardTerms, ScenarioTerms, quote
from .engine.output import price_as_dict
from .models import BundleItem, Campaign, Consent, ConsentScenario, OfferRecord, Participation, Scenario


def _on_sale_items() -> Prefetch:
    return Prefetch(
        "items",
        queryset=BundleItem.objects.filter(product__status=Product.Status.ACTIVE)
        .select_related("product")
        .order_by("position"),
    )


def _participating(partner) -> QuerySet[Scenario]:
    return Scenario.objects.filter(
        status=Scenario.Status.PUBLISHED,
        participations__partner=partner,
        participations__status=Participation.Status.ACTIVE,
    )


def _sandbox_visible(partner) -> QuerySet[Scenario]:
    """What a sandbox key sees: the latest published version of every scenario of the partner's
    industry that is not reserved for another partner, joined or not."""
    newer = Scenario.objects.filter(
        code=OuterRef("code"), status=Scenario.Status.PUBLISHED, version__gt=OuterRef("version")
    )
    return (
        Scenario.objects.filter(status=Scenario.Status.PUBLISHED, industry_id=partner.industry_id)
        .filter(Q(reserved_for__isnull=True) | Q(reserved_for=partner))
        .exclude(Exists(newer))
    )


def scenario_list_for_partner(*, partner, sandbox: bool = False) -> QuerySet[Scenario]:
    """The versions ``partner`` actively participates in (with ``sandbox``: every published one
    of its industry, see ``_sandbox_visible``), by code, with ``industry`` and the on-sale
    ``items`` (each with its ``product``) loaded: 2 queries however many."""
    visible = _sandbox_visible(partner) if sandbox else _participating(partner)
    return visible.select_related("industry").prefetch_related(_on_sale_items()).order_by("code")


def scenario_get_for_partner(*, partner, code: str, sandbox: bool = False) -> Scenario:
    """The version of ``code`` that ``partner`` actively participates in (or, with ``sandbox``,
    sees in the sandbox); ``Scenario.DoesNotExist`` for anything else."""
    return scenario_list_for_partner(partner=partner, sandbox=sandbox).get(code=code)


def scenarios_joinable_for_partner(*, partner) -> QuerySet[Scenario]:
    """The latest published version of each scenario ``partner`` may ask to join (open to it and
    not already requested, invited or joined), with industry and on-sale items."""
    newer = Scenario.objects.filter(
        code=OuterRef("code"), status=Scenario.Status.PUBLISHED, version__gt=OuterRef("version")
    )
    open_participation = Participation.objects.filter(
        partner=partner, scenario_code=OuterRef("code"), status__in=Participation.OPEN
    )
    return (
        Scenario.objects.filter(status=Scenario.Status.PUBLISHED)
        .filter(Q(reserved_for__isnull=True) | Q(reserved_for=partner))
        .exclude(Exists(newer))
        .exclude(Exists(open_participation))
        .select_related("industry")
        .prefetch_related(_on_sale_items())
        .order_by("industry__position", "code")
    )


class VersionsToCompare(NamedTuple):
    """A partner's active participation and the newer published version it may move to, both
    versions with their on-sale items (product and campaign) loaded."""

    participation: Participation
    current: Scenario
    newer: Scenario


def scenario_versions_to_compare(*, partner, code: str) -> VersionsToCompare | None:
    """``partner``'s active participation in ``code`` and the latest published version newer
    than the one it is on; None when it is not active there or is on the latest. 4 queries."""
    participation = (
        Participation.objects.filter(partner=partner, scenario_code=code, status=Participation.Status.ACTIVE)
        .select_related("scenario")
        .first()
    )
    if participation is None:
        return None
    newer = (
        Scenario.objects.filter(
            code=code, status=Scenario.Status.PUBLISHED, version__gt=participation.scenario.version
        )
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )
    if newer is None:
        return None
    items = Prefetch(
        "items",
        queryset=BundleItem.objects.filter(product__status=Product.Status.ACTIVE)
        .select_related("product", "campaign")
        .order_by("position"),
    )
    versions = {
        scenario.pk: scenario
        for scenario in Scenario.objects.filter(pk__in=[participation.scenario_id, newer]).prefetch_related(
            items
        )
    }
    return VersionsToCompare(participation, versions[participation.scenario_id], versions[newer])


def scenario_unavailable_message(*, partner, code: str) -> str:
    """Why ``partner`` gets no offers for ``code``, naming it: it left (or the bank ended its
    participation) on a day it knows, or no scenario with that code is available to it (a
    missing code and another partner's look alike). One query."""
    ended = (
        Participation.objects.filter(partner=partner, scenario_code=code, status=Participation.Status.ENDED)
        .order_by("-ended_at", "-pk")
        .values_list("ended_at", flat=True)
        .first()
    )
    if ended is not None:
        return _(
            "You no longer take part in the scenario “%(code)s” (since %(day)s): it answers no offers."
        ) % {"code": code, "day": timezone.localdate(ended).isoformat()}
    return _("No scenario “%(code)s” is available to you.") % {"code": code}


def scenario_latest_published(*, code: str) -> Scenario | None:
    return Scenario.objects.filter(code=code, status=Scenario.Status.PUBLISHED).order_by("-version").first()


def _priced_items(items: QuerySet[BundleItem]) -> Prefetch:
    """``items`` with their products, campaigns (joined: no query more) and each product's
    segment prices (2 queries)."""
    prices = Prefetch("product__segment_prices", queryset=SegmentPrice.objects.select_related("segment"))
    return Prefetch("items", queryset=items.select_related("product", "campaign").prefetch_related(prices))


def scenario_for_quote(*, partner, code: str) -> Scenario | None:
    """The version of ``code`` ``partner`` actively participates in, with on-sale items, their
    products and segment prices loaded (3 queries); ``None`` otherwise."""
    items = _priced_items(BundleItem.objects.filter(product__status=Product.Status.ACTIVE))
    return _participating(partner).filter(code=code).prefetch_related(items).first()


# --------------------------------------------------------------------------------------
# The compiled-terms cache of ``offer_quote``
# --------------------------------------------------------------------------------------
# What a quote reads, kept in the web process: the version each partner quotes for a code, each
# version's compiled engine terms, the segment codes. Dropped in every process when a scenario
# version or participation moves, when a product, a segment price or a segment changes
# (``products.services`` bumps "products"), and on ``terms_forget`` (campaigns); see
# ``core.generations`` for how the drop travels and ``docs/architecture.md`` (Caches).
TERMS_GENERATIONS = ("scenarios", "products")
TERMS_SECONDS = 60  # a bound for what a lost drop could cost; every change drops them anyway
offer_terms = ProcessMemo(TERMS_GENERATIONS, seconds=TERMS_SECONDS)


def terms_forget() -> None:
    """Drop the cached offer terms of every version, in every process, now and again after the
    current transaction commits (publish, retire, participation moves, campaign changes: the
    very next quote anywhere reads them again)."""
    generation_bump("scenarios")


def _terms_load(scenario: Scenario) -> tuple[Scenario, ScenarioTerms] | None:
    """A version's compiled terms: its on-sale items, their products and segment prices (2
    queries) and the segment codes (cached apart)."""
    items = _priced_items(BundleItem.objects.filter(product__status=Product.Status.ACTIVE))
    prefetch_related_objects([scenario], items)
    return scenario, scenario_terms(scenario, segments=offer_terms.get(("segments",), segment_codes))


def _version_load(partner, code: str, sandbox: bool = False) -> int | None:
    # The version only (1 query); its terms are loaded once for every partner on it.
    scenario = (_sandbox_visible(partner) if sandbox else _participating(partner)).filter(code=code).first()
    if scenario is None:
        return None
    offer_terms.get(("terms", scenario.pk), lambda: _terms_load(scenario))
    return scenario.pk


def _version_terms_load(scenario_id: int) -> tuple[Scenario, ScenarioTerms] | None:
    scenario = Scenario.objects.filter(pk=scenario_id).first()
    return None if scenario is None else _terms_load(scenario)


def scenario_terms_for_quote(
    *, partner, code: str, sandbox: bool = False
) -> tuple[Scenario, ScenarioTerms] | None:
    """The version of ``code`` ``partner`` actively participates in (with ``sandbox``: the one
    its sandbox sees) and its compiled engine terms, as ``scenario_for_quote`` and
    ``scenario_terms`` give them; ``None`` otherwise.
    No query while cached (one ``stat`` of the epoch file, or one Redis ``MGET``); 4 on a miss.
    The ``Scenario`` is shared by every request of the process: read it, never change it."""
    offer_terms.current()
    if sandbox:
        scenario_id = offer_terms.get(
            ("sandbox-version", partner.pk, code), lambda: _version_load(partner, code, sandbox=True)
        )
    else:
        scenario_id = offer_terms.get(("version", partner.pk, code), lambda: _version_load(partner, code))
    if scenario_id is None:
        return None
    return offer_terms.get(("terms", scenario_id), lambda: _version_terms_load(scenario_id))


def scenario_for_preview(*, scenario: Scenario) -> Scenario:
    """Any version with its non-retired items loaded, for staff to preview offers (drafts
    included, draft products included: staff see what publishing would offer)."""
    items = _priced_items(BundleItem.objects.exclude(product__status=Product.Status.RETIRED))
    return Scenario.objects.prefetch_related(items).get(pk=scenario.pk)


def offer_preview(
    *,
    scenario: Scenario,
    event: str,
    amount: Decimal,
    currency: str = "CNY",
    segment: str | None = None,
    tenor_months: int | None = None,
) -> list[Offer]:
    """The offers this version would give (drafts included), for staff to check a bundle before
    publishing; nothing is counted. Raises the engine's ``OfferRefused`` errors."""
    terms = scenario_terms(scenario_for_preview(scenario=scenario), segments=segment_codes())
    request = QuoteRequest(
        event=event, amount=amount, currency=currency, segment=segment, tenor_months=tenor_months
    )
    return list(quote(terms, request))


def segment_codes() -> frozenset[str]:
    return frozenset(Segment.objects.values_list("code", flat=True))


def product_terms(product: Product) -> ProductTerms:
    """The engine's view of a product (its ``segment_prices`` prefetched with their segment)."""
    return ProductTerms(
        code=product.code,
        category=product.category,
        currency=product.currency,
        rate=product.rate,
        rate_floor=product.rate_floor,
        rate_ceiling=product.rate_ceiling,
        min_amount=product.min_amount,
        max_amount=product.max_amount,
        tenor_months=tuple(product.tenor_months or ()),
        repayment_method=product.repayment_method,
        minimum_charge=product.minimum_charge,
        fixed_fee=product.fixed_fee,
        segment_adjustments={
            price.segment.code: price.rate_adjustment for price in product.segment_prices.all()
        },
    )


def campaign_pays(campaign: Campaign | None, moment: datetime) -> bool:
    """Does an item's reward still go out at ``moment``: no campaign (not budgeted), or an
    approved one within its dates with budget and count left?"""
    return campaign is None or campaign.grants_at(moment)


def scenario_terms(scenario: Scenario, *, segments: frozenset[str]) -> ScenarioTerms:
    """The engine's view of a version loaded by ``scenario_for_quote`` / ``scenario_for_preview``
    (no further query: the items' campaigns come joined). An item's reward is left out while
    its campaign does not pay it now (not approved, outside its dates, budget or count spent):
    offers stop carrying it from the request after the grant that spent it."""
    lines = []
    now = timezone.now()
    for item in scenario.items.all():
        reward = None
        if item.reward_kind and campaign_pays(item.campaign, now):
            reward = RewardTerms(
                kind=item.reward_kind,
                rate=item.reward_rate,
                amount=item.reward_amount,
                cap=item.reward_cap,
                description=item.reward_description,
            )
        lines.append(
            BundleLine(
                position=item.position,
                product=product_terms(item.product),
                role=item.role,
                rate_adjustment=item.rate_adjustment,
                fee_waiver=item.fee_waiver,
                reward=reward,
            )
        )
    return ScenarioTerms(
        code=scenario.code,
        version=scenario.version,
        trigger_events=frozenset(scenario.trigger_events),
        lines=tuple(lines),
        segments=segments,
    )


def scenario_warnings(scenario: Scenario) -> list[str]:
    """What staff should know about a version: products retired since it was composed."""
    retired = scenario.items.filter(product__status=Product.Status.RETIRED).values_list(
        "product__code", flat=True
    )
    return [
        _("%(product)s is retired: it is no longer offered in this scenario.") % {"product": code}
        for code in retired
    ]


def scenarios_with_retired_products() -> QuerySet[Scenario]:
    """Versions not retired whose bundle holds a retired product."""
    return Scenario.objects.exclude(status=Scenario.Status.RETIRED).filter(
        Exists(BundleItem.objects.filter(scenario=OuterRef("pk"), product__status=Product.Status.RETIRED))
    )


PRICE_LABELS = {
    "annual_rate": _("Annual rate"),
    "fee_rate": _("Fee rate"),
    "apr": _("APR (annualised, IRR)"),
    "fee": _("Fee"),
    "premium_rate": _("Premium rate"),
    "premium": _("Premium"),
    "expected_return": _("Expected return"),
}


def _price_text(name: str, value) -> str:
    # Rates (and the APR) as percentages, amounts as money.
    return percent_text(value) if name == "apr" or name.endswith("rate") else money_text(value)


def offers_in_words(offers: list[Offer]) -> list[tuple[Offer, dict[str, str]]]:
    """Each offer with what a page says instead of its codes: the product's name, the labels
    of its category, role and reward kind (in the user's language). One query."""
    names = {
        product.code: product.local_name
        for product in Product.objects.filter(code__in={offer.product for offer in offers})
    }
    categories, roles, rewards = (
        dict(Category.choices),
        dict(BundleItem.Role.choices),
        dict(BundleItem.RewardKind.choices),
    )
    return [
        (
            offer,
            {
                "product": names.get(offer.product, offer.product),
                "category": str(categories.get(offer.category, offer.category)),
                "role": str(roles.get(offer.role, offer.role)),
                "reward": str(rewards.get(offer.reward.kind, offer.reward.kind)) if offer.reward else "",
                "price": [
                    (str(PRICE_LABELS.get(name, name)), _price_text(name, value))
                    for name, value in price_as_dict(offer.price).items()
                ],
            },
        )
        for offer in offers
    ]


def scenario_names(codes) -> dict[str, str]:
    """The name of each scenario code in the user's language (its newest version's): one
    query, for pages whose figures are kept by code (roll-ups, statements)."""
    names: dict[str, str] = {}
    for scenario in Scenario.objects.filter(code__in=set(codes)).order_by("code", "-version"):
        names.setdefault(scenario.code, scenario.local_name)
    return names


# --------------------------------------------------------------------------------------
# Consents (PIPL)
# --------------------------------------------------------------------------------------
def consent_in_force(*, partner_id: int, customer_ref: str, at: datetime) -> Consent | None:
    """The consent of a customer (``customer_ref``, the keyed hash) that ``partner_id`` had in
    force at ``at``: granted by then and not withdrawn by then, the latest granted. How a use
    of a customer reference (a transaction at its ``occurred_at``) is traced to its consent.
    One query on ``consent_ref_time_idx``; ``None`` for no reference or no consent."""
    if not customer_ref:
        return None
    return (
        Consent.objects.filter(
            partner_id=partner_id, sandbox=False, customer_ref=customer_ref, granted_at__lte=at
        )
        .filter(Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gt=at))
        .order_by("-granted_at", "-id")
        .first()
    )


def consent_for_offer_record(record: OfferRecord) -> Consent | None:
    """The consent an offer relied on (its stored ``consent_id``), or ``None``. One query."""
    if not record.consent_id:
        return None
    return Consent.objects.filter(
        partner_id=record.partner_id,
        sandbox=record.sandbox,
        consent_id=record.consent_id,
        customer_ref=record.customer_ref,
    ).first()


CONSENT_STATES = {"in_force": gettext_lazy("In force"), "withdrawn": gettext_lazy("Withdrawn")}


def consent_scenario_codes() -> list[str]:
    """The scenario codes any consent was relied on for (staff filters). One query."""
    return list(
        ConsentScenario.objects.filter(consent__sandbox=False)
        .order_by()
        .values_list("scenario_code", flat=True)
        .distinct()
        .order_by("scenario_code")
    )


def consents_for_staff(*, partner=None, scenario_code: str = "", state: str = "") -> QuerySet[Consent]:
    """Consents for staff, newest first, narrowed by partner, by scenario code (the consents
    offer requests of that scenario relied on) and by state (``"in_force"``, ``"withdrawn"``),
    with their partner and scenario codes loaded: 2 queries a page however many."""
    rows = (
        Consent.objects.filter(sandbox=False)
        .select_related("partner")
        .prefetch_related(Prefetch("scenarios", queryset=ConsentScenario.objects.order_by("scenario_code")))
    )
    if partner is not None:
        rows = rows.filter(partner=partner)
    if scenario_code:
        rows = rows.filter(
            Exists(ConsentScenario.objects.filter(consent=OuterRef("pk"), scenario_code=scenario_code))
        )
    if state == "in_force":
        rows = rows.filter(withdrawn_at__isnull=True)
    elif state == "withdrawn":
        rows = rows.filter(withdrawn_at__isnull=False)
    return rows.order_by("-first_seen_at", "-id")


class OfferNamed(NamedTuple):
    """What attribution needs of an offer a partner was answered."""

    product_code: str
    quoted_at: datetime


# ``offer_records_for_partner`` on PostgreSQL: the same filter as the ORM's, ids as one array,
# and ``quoted_at`` as whole microseconds since the epoch (exact: PostgreSQL keeps microseconds),
# one integer per row instead of a timestamp text parsed in Python (about 5 µs each).
OFFERS_NAMED_SQL = (
    "SELECT offer_id, product_code, (extract(epoch FROM quoted_at) * 1000000)::bigint FROM "  # noqa: S608 - our table's name
    f"{OfferRecord._meta.db_table} "
    "WHERE partner_id = %s AND offer_id = ANY(%s) AND quoted_at >= %s AND quoted_at <= %s AND NOT tryout "
    "AND sandbox = %s"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def offer_records_for_partner(
    *,
    partner_id: int,
    offer_ids: Collection[str],
    quoted_from: datetime,
    quoted_until: datetime,
    sandbox: bool = False,
) -> dict[str, OfferNamed]:
    """The real offers among ``offer_ids`` that the partner was answered, quoted from
    ``quoted_from`` to ``quoted_until`` (both inclusive): ``{offer_id: (product_code,
    quoted_at)}``. Another partner's offers and portal try-outs are left out, exactly like
    unknown ids. One query for a whole batch; the ``quoted_at`` bounds keep it to those months'
    partitions (PostgreSQL), where each id is a lookup in the primary key (offer_id,
    quoted_at). Only rows already written by the offer log's flush are found."""
    if not offer_ids:
        return {}
    if connection.vendor == "postgresql":
        # The ids as one array parameter (``= ANY``): no placeholder per id to build and bind.
        with connection.cursor() as cursor:
            cursor.execute(
                OFFERS_NAMED_SQL, [partner_id, list(offer_ids), quoted_from, quoted_until, sandbox]
            )
            rows = [
                (offer_id, product_code, EPOCH + timedelta(microseconds=micros))
                for offer_id, product_code, micros in cursor.fetchall()
            ]
    else:
        rows = OfferRecord.objects.filter(
            partner_id=partner_id,
            offer_id__in=offer_ids,
            quoted_at__gte=quoted_from,
            quoted_at__lte=quoted_until,
            tryout=False,
            sandbox=sandbox,  # a sandbox sale names only a sandbox offer, a live sale only a live one
        ).values_list("offer_id", "product_code", "quoted_at")
    # An id is random and unique in practice; were one logged twice, its earliest quote holds.
    found: dict[str, OfferNamed] = {}
    for offer_id, product_code, quoted_at in rows:
        if offer_id not in found or quoted_at < found[offer_id].quoted_at:
            found[offer_id] = OfferNamed(product_code, quoted_at)
    return found
