"""Demo scenarios (idempotent): the four seed bundles, published, and the demo partners in them;
a second version of Travel+Finance with a cashback campaign; and 90 days of offer history.

Runs after ``partners.demo`` and ``products.demo``. A scenario that exists (any version) is left
as it is; a demo partner that is missing or not active is skipped, so the seed works whichever
partners exist.

The offer history (``seed_offer_history``) is what the demo partners' apps asked over the last
``HISTORY_DAYS`` days, priced by the real engine and written straight into the offer log in bulk
(``offer_log_write``), with the daily request counts. Anchored to today (Asia/Shanghai) and
deterministic: a second run on the same day finds every day in place and writes nothing; a run
on a later day adds the days in between. ``revenue.demo`` then takes some of these offers as
attributed sales and grants the campaign's rewards.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from core.secrets import customer_reference
from partners.models import Industry, Partner
from products.demo import seed_catalog

from . import selectors, services
from .engine import QuoteRequest, price_as_dict, quote, reward_as_dict
from .exceptions import ConsentRefused, OfferRefused
from .models import Campaign, OfferQuoteDaily, OfferRecord, Participation, Scenario
from .services.offer_log import amount_band, offer_log_write

TRAVEL_DATA = (
    "The booking amount and currency, the customer's segment (standard, new customer, VIP) and the tenor "
    "the customer picks. No name, ID number or phone number."
)

# code, name, Chinese name, industry code, trigger events, data shared, data purpose, description,
# items: (product code, role, overrides)
SCENARIOS = [
    (
        "travel-finance",
        "Travel+Finance",
        "旅游+金融",
        "travel",
        ["booking.created", "booking.paid"],
        TRAVEL_DATA,
        "To check the booking is eligible and to price installments, a credit-limit uplift and travel "
        "cover for it. The bank keeps the request for 90 days for audit and uses it for nothing else.",
        "At checkout of a travel package: pay in installments, raise the card limit for the trip, "
        "insure the trip and the flights.",
        [
            ("travel-installment", "primary",
             {"reward_kind": "cashback", "reward_rate": D("0.010000"), "reward_cap": D("100.00"),
              "reward_description": "1 % back on the trip, up to 100 yuan"}),
            ("credit-limit-uplift", "cross_sell", {}),
            ("travel-insurance", "cross_sell",
             {"reward_kind": "points", "reward_rate": D("1.000000"), "reward_description": "1 point per yuan"}),
            ("flight-delay-cover", "cross_sell",
             {"reward_kind": "coupon", "reward_amount": D("20.00"), "reward_description": "Airport lounge coupon"}),
        ],
    ),
    (
        "community-finance",
        "Community+Finance",
        "社区+金融",
        "community",
        ["property_fee.due", "service.booked"],
        "The fee or service amount, the customer's segment and the tenor the resident picks. No room "
        "number, name or phone number.",
        "To offer the resident an installment plan for the fee or service and a wealth sweep of idle "
        "balance, priced for the segment.",
        "In the community app: spread the property fee or a fitness or beauty package, sweep idle "
        "balance into wealth management, discounts at community merchants.",
        [
            ("property-fee-installment", "primary", {"fee_waiver": D("0.500000")}),
            ("lifestyle-installment", "primary", {"rate_adjustment": D("-0.010000")}),
            ("wealth-sweep", "cross_sell", {}),
            ("merchant-discount", "cross_sell",
             {"reward_kind": "coupon", "reward_amount": D("30.00"), "reward_description": "30 yuan off at a community merchant"}),
        ],
    ),
    (
        "ecommerce-supply-chain",
        "E-commerce supply chain",
        "电商供应链金融",
        "ecommerce",
        ["invoice.issued", "order.paid"],
        "The invoice or order amount, the supplier's segment (small business or standard) and the "
        "financing tenor. The platform keeps the supplier's identity; the bank sees a pseudonymous reference.",
        "To price receivables financing against the platform's invoice and to settle collections and "
        "payments inside a closed loop of funds.",
        "Suppliers finance receivables inside the platform; buyers' payments and suppliers' collections "
        "stay in a closed loop of funds.",
        [
            ("receivables-financing", "primary", {}),
            ("closed-loop-payments", "primary", {"fee_waiver": D("0.200000")}),
        ],
    ),
    (
        "maternal-infant-finance",
        "Maternal & infant+Finance",
        "母婴+金融",
        "maternal-infant",
        ["order.paid", "membership.joined"],
        "The order or membership amount, the customer's segment and the tenor. No child's data.",
        "To offer mother-and-baby insurance, education savings and installments for the purchase.",
        "Insurance for mother and baby, education savings, installments for baby goods.",
        [
            ("maternity-insurance", "primary", {}),
            ("education-savings", "cross_sell", {}),
            ("baby-goods-installment", "primary",
             {"reward_kind": "points", "reward_rate": D("2.000000"), "reward_description": "2 points per yuan"}),
        ],
    ),
]  # fmt: skip

# The Chinese of each scenario's description, data shared and data purpose (the names are above).
SCENARIOS_ZH = {
    "travel-finance": {
        "description_zh": "旅游套餐结账时：分期付款、为本次出行临时提额、为行程和航班投保。",
        "data_shared_zh": "订单金额与币种、客户类别（标准客户、新客户、VIP 客户）及客户选择的分期期数。"
        "不含姓名、证件号码或手机号码。",
        "data_purpose_zh": "用于核实订单是否符合条件，并为该订单的分期、临时提额和旅行保障定价。"
        "银行将请求保存 90 天以备审计，不作其他任何用途。",
    },
    "community-finance": {
        "description_zh": "在社区 App 中：物业费或健身、美容套餐分期，闲置余额归集理财，社区商户优惠。",
        "data_shared_zh": "费用或服务金额、客户类别及住户选择的分期期数。不含房号、姓名或手机号码。",
        "data_purpose_zh": "用于按客户类别定价，向住户提供费用或服务的分期方案及闲置余额的理财归集。",
    },
    "ecommerce-supply-chain": {
        "description_zh": "供应商在平台内进行应收账款融资；采购方付款与供应商收款在资金闭环内完成。",
        "data_shared_zh": "发票或订单金额、供应商类别（小微企业或标准客户）及融资期限。"
        "供应商身份由平台保管，银行仅见到化名编号。",
        "data_purpose_zh": "用于依据平台发票为应收账款融资定价，并在资金闭环内完成收款与付款结算。",
    },
    "maternal-infant-finance": {
        "description_zh": "母婴保险、教育储蓄、母婴用品分期。",
        "data_shared_zh": "订单或会员费金额、客户类别及分期期数。不含任何儿童信息。",
        "data_purpose_zh": "用于为本次购买提供母婴保险、教育储蓄和分期付款方案。",
    },
}

# What each scenario uses customer data for (PIPL): what a customer's consent must cover.
DATA_PURPOSES = {
    "travel-finance": ["offer_personalisation", "credit_pre_assessment"],
    "community-finance": ["offer_personalisation"],
    "ecommerce-supply-chain": ["credit_pre_assessment", "data_sharing_with_partner"],
    "maternal-infant-finance": ["offer_personalisation", "marketing"],
}

# Demo partners and the scenario each takes part in.
PARTICIPANTS = [
    ("skyway-travel", "travel-finance", Participation.Channel.APP),
    ("greenleaf-community", "community-finance", Participation.Channel.MINI_PROGRAM),
]


def _industry(code: str) -> Industry:
    # partners.demo seeds the industries first; this only covers running the step on its own.
    industry, _created = Industry.objects.get_or_create(
        code=code, defaults={"name": code.replace("-", " ").title()}
    )
    return industry


def seed_scenarios() -> dict[str, Scenario]:
    products = seed_catalog()
    scenarios: dict[str, Scenario] = {}
    for code, name, name_zh, industry, events, shared, purpose, description, items in SCENARIOS:
        scenario = Scenario.objects.filter(code=code).order_by("-version").first()
        if scenario is None:
            scenario = services.scenario_create(
                actor=None,
                code=code,
                name=name,
                name_zh=name_zh,
                industry=_industry(industry),
                trigger_events=events,
                data_shared=shared,
                data_purpose=purpose,
                description=description,
                data_purposes=DATA_PURPOSES[code],
                **SCENARIOS_ZH[code],
            )
            for position, (product_code, role, overrides) in enumerate(items, start=1):
                services.bundle_item_add(
                    scenario=scenario, product=products[product_code], actor=None, position=position, role=role,
                    **overrides,
                )  # fmt: skip
        if scenario.status == Scenario.Status.DRAFT:
            scenario = services.scenario_publish(scenario=scenario, actor=None, reason="demo scenario")
        scenarios[code] = scenario
    return scenarios


def seed_participation(scenarios: dict[str, Scenario]) -> list[Participation]:
    # The system invites and the partner accepts: a request to join would need a person to
    # decide it (four eyes: the system decides nothing).
    joined = []
    for slug, code, channel in PARTICIPANTS:
        partner = Partner.objects.filter(slug=slug, status="active").first()
        if partner is None:
            continue
        existing = Participation.objects.filter(
            partner=partner, scenario_code=code, status__in=Participation.OPEN
        ).first()
        if existing is None:
            existing = services.participation_invite(
                partner=partner,
                scenario=scenarios[code],
                actor=None,
                channel=channel,
                note="demo participation",
            )
        if existing.status == Participation.Status.INVITED:
            existing = services.participation_accept(participation=existing, actor=None)
        joined.append(existing)
    return joined


# --------------------------------------------------------------------------------------
# A second version with a campaign, and the offer history
# --------------------------------------------------------------------------------------
SHANGHAI = ZoneInfo("Asia/Shanghai")
HISTORY_DAYS = 90
# Travel+Finance version 2 serves the last SECOND_VERSION_DAYS days of the history.
SECOND_VERSION_DAYS = 45
DEMO_REQUEST_PREFIX = "req_demo"  # the demo's offers, told apart from real ones
CAMPAIGN_CODE = "summer-trip-cashback"
# partner slug → (scenario code, requests a day, the customer population)
OFFER_TRAFFIC = {
    "skyway-travel": ("travel-finance", 30, 400),
    "greenleaf-community": ("community-finance", 20, 250),
}
# (segment, weight) and (amount range in yuan, weight) per scenario code
SEGMENT_MIX = {
    "travel-finance": [("standard", 6), ("new_customer", 2), ("vip", 2)],
    "community-finance": [("standard", 7), ("new_customer", 2), ("vip", 1)],
}
AMOUNT_MIX = {
    "travel-finance": [((800, 5_000), 4), ((5_000, 20_000), 5), ((20_000, 60_000), 1)],
    "community-finance": [((300, 1_000), 3), ((1_000, 5_000), 5), ((5_000, 20_000), 2)],
}
TENORS = (3, 6, 12, 24)
PRODUCT_MANAGER = "maker@demo.local"  # composes the second version (the system may not)
KEY_PREFIXES = {"skyway-travel": "fnk_demoSKY1", "greenleaf-community": "fnk_demoGRN1"}


# The campaign's budget until ``revenue.demo`` sets it so that the grants nearly spend it.
CAMPAIGN_SEED_BUDGET = D("1000000.00")


def seed_campaign(*, today: date) -> Campaign:
    """The bank's summer cashback campaign of Travel+Finance version 2, funded by the bank,
    prepared by the demo maker and approved by the demo checker (four eyes), so that attributed
    sales are granted its reward as the ledger stores them; ``revenue.demo`` then sets its budget
    so that it is nearly spent."""
    User = get_user_model()
    maker = User.objects.filter(email=PRODUCT_MANAGER).first()
    checker = User.objects.filter(email="checker@demo.local").first()
    starts = datetime.combine(today - timedelta(days=SECOND_VERSION_DAYS), time(0), tzinfo=SHANGHAI)
    campaign, _created = Campaign.objects.get_or_create(
        code=CAMPAIGN_CODE,
        defaults={
            "name": "Summer trip cashback",
            "name_zh": "暑期出行返现",
            "starts_at": starts,
            "ends_at": starts + timedelta(days=SECOND_VERSION_DAYS + 30),
            "budget": CAMPAIGN_SEED_BUDGET,
            "funded_by": Campaign.Funder.BANK,
            "partner_share": D("0.0000"),
            "status": Campaign.Status.APPROVED,
            "created_by": maker,
            "submitted_by": maker,
            "submitted_at": starts - timedelta(days=3),
            "approved_by": checker,
            "approved_at": starts - timedelta(days=2),
        },
    )
    return campaign


def seed_second_version(scenarios: dict[str, Scenario], *, today: date) -> Scenario | None:
    """Travel+Finance version 2: the installment 1.5 points cheaper and a 2 % cashback from the
    campaign, published; Skyway moves onto it. Version 1 stays published for the history."""
    if "travel-finance" not in scenarios:
        return None
    first = Scenario.objects.filter(code="travel-finance").order_by("version").first()
    second = Scenario.objects.filter(code=first.code, version__gt=first.version).order_by("version").first()
    manager = get_user_model().objects.filter(email=PRODUCT_MANAGER).first()
    if second is None and manager is not None:
        campaign = seed_campaign(today=today)
        second = services.scenario_new_version(scenario=first, actor=manager)
        item = second.items.get(position=1)
        item.rate_adjustment = D("-0.015000")
        item.reward_rate = D("0.020000")
        item.reward_cap = D("150.00")
        item.reward_description = "2 % back on the trip, up to 150 yuan (summer campaign)"
        item.campaign = campaign
        services.bundle_item_save(item=item, actor=manager)
        second = services.scenario_publish(
            scenario=second, actor=manager, reason="demo: cheaper installments"
        )
    if second is not None and second.status == Scenario.Status.PUBLISHED:
        on_first = Participation.objects.filter(
            partner__slug="skyway-travel", scenario=first, status=Participation.Status.ACTIVE
        ).first()
        if on_first is not None:
            services.participation_move(participation=on_first, actor=None, to=second)
    return second


def _pick(rng: random.Random, mix):
    values, weights = zip(*mix, strict=True)
    return rng.choices(values, weights=weights)[0]


def _versions(code: str, today: date) -> list[tuple[date, Scenario]]:
    """(first day served, version) of ``code``: version 2 from ``SECOND_VERSION_DAYS`` ago."""
    versions = list(Scenario.objects.filter(code=code, status=Scenario.Status.PUBLISHED).order_by("version"))
    served = [(date.min, versions[0])]
    if len(versions) > 1:
        served.append((today - timedelta(days=SECOND_VERSION_DAYS), versions[1]))
    return served


def _day_requests(slug: str, code: str, day: date, per_day: int, customers: int):
    """The requests of one day: deterministic for (partner, day)."""
    rng = random.Random(f"{slug}-{day.isoformat()}")
    for n in range(per_day + rng.randint(-per_day // 4, per_day // 4)):
        (low, high) = _pick(rng, AMOUNT_MIX[code])
        yield {
            "n": n,
            "at": datetime.combine(day, time(8), tzinfo=SHANGHAI)
            + timedelta(seconds=rng.randint(0, 14 * 3600)),
            "segment": _pick(rng, SEGMENT_MIX[code]),
            "amount": D(rng.randint(low * 100, high * 100)) / 100,
            "tenor": rng.choice(TENORS),
            "event_index": rng.randint(0, 9),
            "customer": rng.randint(1, customers),
        }


def _offer_id(*parts: object) -> str:
    return "ofr_d" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:27]


def seed_offer_history(*, today: date) -> int:
    """Write the demo partners' offers of the last ``HISTORY_DAYS`` days (the days not written
    yet) into the offer log in bulk, with their daily request counts; the number of offers."""
    written = 0
    for slug, (code, per_day, customers) in OFFER_TRAFFIC.items():
        partner = Partner.objects.filter(slug=slug, status="active").first()
        if partner is None or not Participation.objects.filter(partner=partner, scenario_code=code).exists():
            continue
        served = _versions(code, today)
        terms = {
            version.pk: selectors.scenario_terms(
                selectors.scenario_for_preview(scenario=version), segments=selectors.segment_codes()
            )
            for _start, version in served
        }
        done = {
            timezone.localdate(at)
            for at in OfferRecord.objects.filter(
                partner=partner, request_id__startswith=DEMO_REQUEST_PREFIX
            ).values_list("quoted_at", flat=True)
        }
        rows, counts = [], Counter()
        for back in range(HISTORY_DAYS, 0, -1):
            day = today - timedelta(days=back)
            if day in done:
                continue
            version = [v for start, v in served if start <= day][-1]
            events = sorted(version.trigger_events)
            for request in _day_requests(slug, code, day, per_day, customers):
                asked = QuoteRequest(
                    event=events[request["event_index"] % len(events)],
                    amount=request["amount"],
                    segment=request["segment"],
                    tenor_months=request["tenor"],
                )
                key = (day, version.pk)
                try:
                    offers = quote(terms[version.pk], asked)
                except OfferRefused:
                    counts[(*key, "refusals")] += 1
                    continue
                counts[(*key, "quotes")] += 1
                counts[(*key, "offers")] += len(offers)
                quoted_at = request["at"]
                expires_at = (quoted_at + timedelta(minutes=30)).replace(microsecond=0)
                request_id = DEMO_REQUEST_PREFIX + _offer_id(slug, day, request["n"])[5:19]
                ref = customer_reference(
                    partner_id=partner.pk, customer_id=_demo_customer(request["customer"])
                )
                consent_id = _demo_consent_id(slug, request["customer"])
                for index, offer in enumerate(offers):
                    rows.append((
                        _offer_id(slug, day, request["n"], index), quoted_at, expires_at, request_id, partner.pk,
                        KEY_PREFIXES[slug], OfferRecord.Channel.API, False, version.pk, asked.event, offer.product,
                        offer.category, asked.segment, asked.amount, "CNY", amount_band(asked.amount),
                        offer.tenor_months, offer.price.annual_rate, offer.price.apr, price_as_dict(offer.price),
                        None if offer.reward is None else reward_as_dict(offer.reward), ref, consent_id, False,
                    ))  # fmt: skip
        for start in range(0, len(rows), 5000):
            written += offer_log_write(rows[start : start + 5000])
        days = {(day, scenario_id) for day, scenario_id, _kind in counts}
        OfferQuoteDaily.objects.bulk_create(
            [
                OfferQuoteDaily(
                    partner=partner,
                    scenario_id=scenario_id,
                    day=day,
                    quotes=counts[(day, scenario_id, "quotes")],
                    offers=counts[(day, scenario_id, "offers")],
                    refusals=counts[(day, scenario_id, "refusals")],
                )
                for day, scenario_id in sorted(days)
            ],
            ignore_conflicts=True,
        )
    return written


# Every demo customer consented (PIPL) before the history starts; the last customer of each
# partner has withdrawn since. Fixed dates, so that seeding again records nothing new.
CONSENTS_GRANTED = datetime(2025, 1, 1, 9, 0, tzinfo=SHANGHAI)


def _demo_customer(number: int) -> str:
    return f"demo-customer-{number:03d}"


def _demo_consent_id(slug: str, number: int) -> str:
    return f"cns-{slug}-{number:03d}"


def seed_consents(joined: list[Participation]) -> int:
    """Record the demo customers' consents (one withdrawn per partner); the number recorded."""
    recorded = 0
    for participation in joined:
        partner, scenario = participation.partner, participation.scenario
        traffic = OFFER_TRAFFIC.get(partner.slug)
        if traffic is None or traffic[0] != scenario.code:
            continue
        customers = traffic[2]
        for number in range(1, customers + 1):
            consent = services.ConsentGiven(
                id=_demo_consent_id(partner.slug, number),
                purposes=list(scenario.data_purposes) or ["offer_personalisation"],
                granted_at=CONSENTS_GRANTED + timedelta(minutes=number),
            )
            try:
                services.consent_for_offer(
                    partner=partner,
                    scenario_code=scenario.code,
                    declared_purposes=scenario.data_purposes,
                    customer_ref=customer_reference(
                        partner_id=partner.pk, customer_id=_demo_customer(number)
                    ),
                    segment=None,
                    consent=consent,
                )
            except ConsentRefused:  # withdrawn by an earlier run
                continue
            recorded += 1
        services.consent_withdraw(
            partner=partner,
            customer_id=_demo_customer(customers),
            consent_id=_demo_consent_id(partner.slug, customers),
        )
    return recorded


def seed(*, password: str, stdout) -> None:
    today = timezone.localdate()
    scenarios = seed_scenarios()
    joined = seed_participation(scenarios)
    consents = seed_consents(joined)
    second = seed_second_version(scenarios, today=today)
    offers = seed_offer_history(today=today)
    stdout.write(
        f"scenarios: {len(scenarios)} published, demo partners participating: {len(joined)}, "
        f"consents: {consents} (one withdrawn each), "
        f"{second or 'no second version'}, offers recorded: {offers}"
    )
