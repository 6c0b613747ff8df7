"""Demo catalog (idempotent): the products the seed scenarios bundle, and a few more.

Everything goes through the services; a product that exists is left exactly as it is, so a
second run writes nothing (not even a history row).
"""

from __future__ import annotations

from decimal import Decimal as D

from . import services
from .models import Product, Segment, SegmentPrice

SEGMENTS = [
    # code, English name, Chinese name (the same as the data migration: a flushed test database
    # has none)
    ("standard", "Standard", "标准客户"),
    ("new_customer", "New customer", "新客户"),
    ("vip", "VIP", "VIP 客户"),
    ("small_business", "Small business", "小微企业"),
]


def _rates(rate: str, floor: str, ceiling: str) -> dict:
    return {"rate": D(rate), "rate_floor": D(floor), "rate_ceiling": D(ceiling)}


def _amounts(low: str | None, high: str | None) -> dict:
    return {"min_amount": D(low) if low else None, "max_amount": D(high) if high else None}


# code, English name, Chinese name, category, terms, segment adjustments
CATALOG = [
    # Travel + Finance
    ("travel-installment", "Travel installments", "旅游分期", "installment",
     {**_rates("0.099000", "0.060000", "0.180000"), **_amounts("500.00", "50000.00"),
      "tenor_months": [3, 6, 12, 24], "repayment_method": "equal_installment"},
     {"vip": "-0.020000", "new_customer": "-0.010000"}),
    ("credit-limit-uplift", "Temporary credit-limit uplift", "临时提额", "credit_limit_uplift",
     {**_rates("0.180000", "0.120000", "0.240000"), **_amounts("2000.00", "50000.00")},
     {"vip": "-0.030000"}),
    ("travel-insurance", "Travel insurance", "旅行意外险", "insurance",
     {**_rates("0.008000", "0.005000", "0.012000"), "minimum_charge": D("15.00")}, {}),
    ("flight-delay-cover", "Flight-delay cover", "航班延误险", "insurance",
     {**_rates("0.002000", "0.001000", "0.005000"), "minimum_charge": D("20.00")}, {}),
    # Community + Finance
    ("property-fee-installment", "Property-fee installments", "物业费分期", "installment",
     {**_rates("0.005000", "0.003000", "0.008000"), **_amounts("300.00", "30000.00"),
      "tenor_months": [3, 6, 12], "repayment_method": "interest_free"},
     {"vip": "-0.001000"}),
    ("lifestyle-installment", "Fitness and beauty installments", "健身美容分期", "installment",
     {**_rates("0.120000", "0.080000", "0.180000"), **_amounts("1000.00", "50000.00"),
      "tenor_months": [3, 6, 12], "repayment_method": "equal_principal"},
     {"new_customer": "-0.020000"}),
    ("wealth-sweep", "Wealth-management sweep", "智能理财归集", "wealth_management",
     {**_rates("0.025000", "0.018000", "0.035000"), **_amounts("1.00", None)},
     {"vip": "0.003000"}),
    ("merchant-discount", "Community merchant services", "社区商户收单", "merchant_services",
     {**_rates("0.003800", "0.002000", "0.006000"), "minimum_charge": D("0.10")},
     {"small_business": "-0.000800"}),
    # E-commerce supply chain
    ("receivables-financing", "Supplier receivables financing", "供应商应收账款融资", "supply_chain_finance",
     {**_rates("0.055000", "0.040000", "0.090000"), **_amounts("10000.00", "5000000.00"),
      "tenor_months": [1, 3, 6], "repayment_method": "bullet"},
     {"small_business": "-0.005000"}),
    ("closed-loop-payments", "Collection and payment (closed loop)", "资金闭环收付款", "payment",
     {**_rates("0.003000", "0.001000", "0.006000"), "minimum_charge": D("0.10")},
     {"small_business": "-0.001000"}),
    # Maternal & infant + Finance
    ("maternity-insurance", "Mother and baby insurance", "母婴保险", "insurance",
     {**_rates("0.010000", "0.006000", "0.015000"), "minimum_charge": D("30.00")}, {}),
    ("education-savings", "Education savings", "教育储蓄", "deposit",
     {**_rates("0.022500", "0.015000", "0.030000"), **_amounts("100.00", None), "tenor_months": [12, 36, 60]},
     {"vip": "0.002500"}),
    ("baby-goods-installment", "Baby goods installments", "母婴用品分期", "installment",
     {**_rates("0.108000", "0.070000", "0.180000"), **_amounts("300.00", "30000.00"),
      "tenor_months": [3, 6, 12], "repayment_method": "equal_installment"},
     {"new_customer": "-0.020000"}),
    # In the catalog, not yet in a seed scenario
    ("consumer-loan", "Consumer loan", "消费贷", "consumer_credit",
     {**_rates("0.150000", "0.072000", "0.240000"), **_amounts("1000.00", "200000.00"),
      "tenor_months": [6, 12, 24, 36], "repayment_method": "equal_installment"},
     {"vip": "-0.030000"}),
    ("risk-check", "Merchant risk check", "商户风险核查", "data_service", {"fixed_fee": D("0.50")}, {}),
]  # fmt: skip


# code: (English description, Chinese description)
DESCRIPTIONS = {
    "travel-installment": (
        "Pay for a trip in monthly installments at checkout.",
        "结账时将旅游费用按月分期支付。",
    ),
    "credit-limit-uplift": (
        "A temporary rise of the card's credit limit for the length of a trip.",
        "出行期间临时提高信用卡额度。",
    ),
    "travel-insurance": (
        "Accident and medical cover for the traveller during the trip.",
        "出行期间为旅客提供意外及医疗保障。",
    ),
    "flight-delay-cover": (
        "A fixed payout when the insured flight is delayed.",
        "投保航班延误时按约定金额赔付。",
    ),
    "property-fee-installment": (
        "Spread the annual property-management fee over months, interest-free.",
        "将全年物业费免息分摊至各月支付。",
    ),
    "lifestyle-installment": (
        "Installments for fitness, beauty and other community services.",
        "健身、美容等社区生活服务的分期付款。",
    ),
    "wealth-sweep": (
        "Idle balance swept automatically into a wealth-management product.",
        "闲置余额自动归集至理财产品。",
    ),
    "merchant-discount": (
        "Card acquiring and discounts for merchants in the community.",
        "为社区商户提供收单服务及优惠。",
    ),
    "receivables-financing": (
        "Suppliers finance their receivables against the platform's invoices.",
        "供应链应收账款融资：供应商凭平台发票融资。",
    ),
    "closed-loop-payments": (
        "Collections and payments between buyers and suppliers in a closed loop of funds.",
        "采购方与供应商之间的收付款在资金闭环内完成。",
    ),
    "maternity-insurance": (
        "Insurance for mother and baby during pregnancy and the first year.",
        "孕期及婴儿出生后第一年的母婴保险保障。",
    ),
    "education-savings": (
        "Term savings for a child's education.",
        "为子女教育储备资金的定期储蓄。",
    ),
    "baby-goods-installment": (
        "Installments for baby goods bought on the platform.",
        "母婴消费贷：在平台购买母婴用品可分期付款。",
    ),
    "consumer-loan": (
        "An unsecured loan for everyday spending.",
        "用于日常消费的信用贷款。",
    ),
    "risk-check": (
        "A check of a merchant's risk before onboarding, charged per use.",
        "商户入驻前的风险核查，按次收费。",
    ),
}


def seed_segments() -> dict[str, Segment]:
    return {
        code: services.segment_ensure(code=code, name=name, name_zh=name_zh, position=position)
        for position, (code, name, name_zh) in enumerate(SEGMENTS)
    }


def seed_catalog() -> dict[str, Product]:
    segments = seed_segments()
    products: dict[str, Product] = {}
    for code, name, name_zh, category, terms, adjustments in CATALOG:
        product = Product.objects.filter(code=code).first()
        if product is None:
            description, description_zh = DESCRIPTIONS[code]
            product = services.product_create(
                actor=None,
                code=code,
                name=name,
                name_zh=name_zh,
                description=description,
                description_zh=description_zh,
                category=category,
                **terms,
            )
            for segment_code, adjustment in adjustments.items():
                services.segment_price_set(
                    product=product, segment=segments[segment_code], rate_adjustment=D(adjustment), actor=None
                )
        if product.status == Product.Status.DRAFT:
            product = services.product_activate(product=product, actor=None, reason="demo catalog")
        products[code] = product
    return products


def seed(*, password: str, stdout) -> None:
    products = seed_catalog()
    stdout.write(
        f"products: {len(products)}, segments: {Segment.objects.count()}, "
        f"segment prices: {SegmentPrice.objects.count()}"
    )
