"""Revenue helpers: a partner in a scenario with two products, agreements in force, ledger rows.

Agreements in force are built through the services (maker submits, checker approves and sends,
a finance member of the partner accepts) so the rows are the real thing; transactions go through ``transactions_record``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from partners.models import Membership
from revenue import services
from revenue.models import Agreement
from scenarios.services.offer_log import COLUMNS as OFFER_LOG_COLUMNS
from scenarios.services.offer_log import offer_log_write
from tests.factories import MembershipFactory, StaffFactory, UserFactory
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ParticipationFactory, ScenarioFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def finance_staff(staff_roles, email: str, group: str):
    user = StaffFactory(email=email)
    user.groups.add(staff_roles[group])
    return user


def scenario_with_products(*, code: str = "travel-finance", products=("trip-installment", "trip-cover")):
    scenario = ScenarioFactory(code=code)
    items = [BundleItemFactory(scenario=scenario, product=ProductFactory(code=p)) for p in products]
    return scenario, [item.product for item in items]


def join(partner, scenario):
    return ParticipationFactory(partner=partner, scenario=scenario)


def agreement_in_force(
    *,
    maker,
    checker,
    partner,
    scenario,
    model="percentage",
    terms=None,
    cycle="monthly",
    effective_from=date(2026, 1, 1),
    supersedes=None,
) -> Agreement:
    terms = (
        terms
        or {
            "percentage": {"rate": "0.300000"},
            "tiered": {"tiers": [{"up_to": "1000.00", "rate": "0.1"}, {"up_to": None, "rate": "0.2"}]},
            "fixed_per_transaction": {"amount": "2.50"},
        }[model]
    )
    agreement = services.agreement_create(
        actor=maker,
        partner=partner,
        scenario=scenario,
        model=model,
        terms=terms,
        cycle=cycle,
        effective_from=effective_from,
        supersedes=supersedes,
    )
    services.agreement_submit(agreement=agreement, actor=maker)
    services.agreement_approve(agreement=agreement, actor=checker)
    return services.agreement_accept(agreement=agreement, actor=partner_finance(partner))


def partner_finance(partner):
    """The partner's finance member who accepts its agreements (made on first use)."""
    membership = Membership.objects.filter(partner=partner, role="finance").select_related("user").first()
    if membership is None:
        membership = MembershipFactory(
            user=UserFactory(email=f"finance@{partner.slug}.example"), partner=partner, role="finance"
        )
    return membership.user


def at(day: date, hour: int = 12) -> datetime:
    """Noon (Asia/Shanghai) of a business day, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


_counter = {"n": 0}


def item(
    *,
    scenario="travel-finance",
    product="trip-installment",
    kind="sale",
    amount="100.00",
    day=None,
    occurred_at=None,
    external_id=None,
    currency="CNY",
    customer_id=None,
    refund_of=None,
    offer_id=None,
) -> dict:
    _counter["n"] += 1
    data = {
        "external_id": external_id or f"tx-{_counter['n']}",
        "scenario": scenario,
        "product": product,
        "kind": kind,
        "amount": Decimal(amount),
        "currency": currency,
        "occurred_at": occurred_at or at(day or date(2026, 1, 15)),
    }
    if customer_id:
        data["customer_id"] = customer_id
    if refund_of:
        data["refund_of"] = refund_of
    if offer_id:
        data["offer_id"] = offer_id
    return data


def record(partner, *items, source="api"):
    return services.transactions_record(partner=partner, items=list(items), source=source)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def days(start: date, n: int):
    return [start + timedelta(days=i) for i in range(n)]


def offer_logged(
    partner,
    *,
    offer_id: str,
    product: str = "trip-installment",
    quoted_at: datetime,
    tryout: bool = False,
    sandbox: bool = False,
) -> str:
    """An offer in the offer log as its buffered writer stores it (``offer_log_write``: COPY
    into the month's partition on PostgreSQL, creating it if missing)."""
    row = {
        "offer_id": offer_id,
        "quoted_at": quoted_at,
        "expires_at": quoted_at + timedelta(minutes=30),
        "request_id": f"req_{offer_id}",
        "partner_id": partner.pk,
        "key_prefix": "",
        "channel": "portal" if tryout else "api",
        "tryout": tryout,
        "sandbox": sandbox,
        "scenario_id": 1,
        "event": "booking.created",
        "product_code": product,
        "category": "installment",
        "segment": "standard",
        "amount": Decimal("8000.00"),
        "currency": "CNY",
        "amount_band": "5k-20k",
        "tenor_months": None,
        "annual_rate": None,
        "apr": None,
        "price": {"annual_rate": "0.120000"},
        "reward": None,
        "customer_ref": "",
        "consent_id": "",
    }
    offer_log_write([tuple(row[c] for c in OFFER_LOG_COLUMNS)])
    return offer_id
