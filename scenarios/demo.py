"""Demo scenarios (idempotent): the four seed bundles, published, and the demo partners in them.

Runs after ``partners.demo`` and ``products.demo``. A scenario that exists (any version) is left
as it is; a demo partner that is missing or not active is skipped, so the seed works whichever
partners exist.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from core.secrets import customer_reference
from partners.models import Industry, Partner
from products.demo import seed_catalog

from . import services
from .exceptions import ConsentRefused
from .models import Participation, Scenario

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


# Customers of the demo partners who consented (PIPL), on fixed past dates so that seeding
# again records nothing new; the last of each partner's has withdrawn.
DEMO_CONSENTS = 6


def seed_consents(joined: list[Participation]) -> int:
    recorded = 0
    for participation in joined:
        partner, scenario = participation.partner, participation.scenario
        for number in range(1, DEMO_CONSENTS + 1):
            customer_id = f"demo-customer-{number:03d}"
            consent = services.ConsentGiven(
                id=f"cns-{partner.slug}-{number:03d}",
                purposes=list(scenario.data_purposes) or ["offer_personalisation"],
                granted_at=datetime(2026, 9, number, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
            )
            try:
                services.consent_for_offer(
                    partner=partner,
                    scenario_code=scenario.code,
                    declared_purposes=scenario.data_purposes,
                    customer_ref=customer_reference(partner_id=partner.pk, customer_id=customer_id),
                    segment=None,
                    consent=consent,
                )
            except ConsentRefused:  # withdrawn by an earlier run
                continue
            recorded += 1
        services.consent_withdraw(
            partner=partner, customer_id=f"demo-customer-{DEMO_CONSENTS:03d}", consent_id=consent.id
        )
    return recorded


def seed(*, password: str, stdout) -> None:
    scenarios = seed_scenarios()
    joined = seed_participation(scenarios)
    consents = seed_consents(joined)
    stdout.write(
        f"scenarios: {len(scenarios)} published, demo partners participating: {len(joined)}, "
        f"consents: {consents} (one withdrawn each)"
    )
