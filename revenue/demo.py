"""Demo revenue sharing (idempotent, deterministic for a given day): agreements of two models
for the demo partners, months of transactions, older periods settled with statements in every
state, the most recent closed period of each agreement left for the first scheduled run, and
one open dispute. Runs after ``scenarios.demo``; everything goes through the services.

Some of the demo offers (``scenarios.demo.seed_offer_history``) are taken: about 6 % of Travel+
Finance version 1's, 12 % of version 2's and 9 % of Community+Finance's become attributed sales,
stored by the ledger's own ``ledger_store`` (its duplicate, refund and late-period rules) inside
the agreements' dates, each naming its offer. Version 2's cashback is granted from the summer
campaign (``revenue.RewardGrant``), which is left nearly spent.

Anchored to today (Asia/Shanghai): a second run on the same day finds everything in place and
writes nothing; a run on a later day adds the days in between."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from partners.models import Membership, Partner
from scenarios.demo import CAMPAIGN_CODE, CAMPAIGN_SEED_BUDGET, DEMO_REQUEST_PREFIX
from scenarios.demo import HISTORY_DAYS as OFFER_HISTORY_DAYS
from scenarios.models import Campaign, OfferRecord, Participation

from . import services
from .models import Agreement, Dispute, Statement, Transaction
from .periods import calendar_period, closed_periods
from .services.funnel import funnel_rebuild
from .services.ledger import content_hash, ledger_row, ledger_store, partner_catalog

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Settled periods before the one left open: about five months of history either way.
HISTORY_PERIODS = {"monthly": 5, "weekly": 20, "daily": 60}

# partner slug, scenario code, model, terms, cycle, products reported (code, weight), daily sales
DEMO_AGREEMENTS = [
    ("skyway-travel", "travel-finance", "percentage", {"rate": "0.300000"}, "monthly",
     ["travel-installment", "travel-installment", "travel-insurance", "credit-limit-uplift"], 4),
    ("greenleaf-community", "community-finance", "tiered",
     {"tiers": [{"up_to": "20000.00", "rate": "0.150000"}, {"up_to": "50000.00", "rate": "0.200000"},
                {"up_to": None, "rate": "0.250000"}]},
     "weekly", ["property-fee-installment", "lifestyle-installment", "property-fee-installment"], 3),
]  # fmt: skip


def _user(email: str):
    return get_user_model().objects.filter(email=email).first()


def _start(cycle: str, today: date) -> date:
    """The first day of the period ``HISTORY_PERIODS[cycle] + 1`` periods before the current one."""
    day = calendar_period(cycle, today).start
    for _ in range(HISTORY_PERIODS[cycle] + 1):
        day = calendar_period(cycle, day - timedelta(days=1)).start
    return day


def _agreement(slug, code, model, terms, cycle, today, maker, checker) -> Agreement | None:
    participation = (
        Participation.objects.filter(
            partner__slug=slug, scenario_code=code, status=Participation.Status.ACTIVE
        )
        .select_related("partner", "scenario")
        .first()
    )
    if participation is None:
        return None
    existing = Agreement.objects.filter(
        partner=participation.partner,
        scenario_code=code,
        status__in=(*Agreement.IN_FORCE, Agreement.Status.SENT),
    ).first()
    if existing is not None and existing.status != Agreement.Status.SENT:
        return existing
    agreement = existing or services.agreement_create(
        actor=maker, partner=participation.partner, scenario=participation.scenario, model=model, terms=terms,
        cycle=cycle, effective_from=_start(cycle, today), reason="demo agreement",
    )  # fmt: skip
    if agreement.status == Agreement.Status.DRAFT:
        services.agreement_submit(agreement=agreement, actor=maker, reason="demo agreement")
        agreement = services.agreement_approve(agreement=agreement, actor=checker, reason="demo agreement")
    # The demo's agreements are accepted in the portal by the partner's owner (or finance).
    member = (
        Membership.objects.filter(partner=participation.partner, role__in=services.agreements.ACCEPTING_ROLES)
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    if member is None:
        return None
    return services.agreement_accept(agreement=agreement, actor=member.user, reason="demo agreement")


def _amount(key: str) -> Decimal:
    """A deterministic amount between 200 and 9,999 yuan."""
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)
    return Decimal(200 + digest % 980_000) / 100


def _transactions(agreement: Agreement, products: list[str], per_day: int, today: date) -> int:
    items = []
    day = agreement.effective_from
    while day < today:
        for n in range(per_day):
            key = f"{agreement.partner.slug}-{day:%Y%m%d}-{n}"
            occurred = datetime.combine(day, time(9 + 2 * n, 15), tzinfo=SHANGHAI)
            product = products[(day.toordinal() + n) % len(products)]
            items.append({
                "external_id": f"demo-{key}", "scenario": agreement.scenario_code, "product": product,
                "kind": "sale", "amount": _amount(key), "currency": "CNY", "occurred_at": occurred,
                "customer_id": f"demo-customer-{(day.toordinal() * 7 + n) % 97}",
            })  # fmt: skip
            if day.day % 9 == 0 and n == 0:  # now and then a refund of part of a sale
                items.append({
                    "external_id": f"demo-{key}-refund", "scenario": agreement.scenario_code, "product": product,
                    "kind": "refund", "amount": (_amount(key) / 4).quantize(Decimal("0.01")), "currency": "CNY",
                    "occurred_at": occurred + timedelta(hours=5), "refund_of": f"demo-{key}",
                })  # fmt: skip
        day += timedelta(days=1)
    created = 0
    for start in range(0, len(items), 1000):
        created += services.transactions_record(
            partner=agreement.partner, items=items[start : start + 1000], source=Transaction.Source.IMPORT
        ).created
    return created


# The share of each version's offers taken as sales: (scenario code, version) → rate.
TAKE_RATES = {("travel-finance", 1): 0.06, ("travel-finance", 2): 0.12, ("community-finance", 1): 0.09}
# The campaign's budget: its grants come to this share of it on the first run.
CAMPAIGN_SPENT_SHARE = Decimal("0.94")


def _chance(*parts: object) -> float:
    """A deterministic number in [0, 1) for ``parts``."""
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16) / 2**32


def taken_offers(agreement: Agreement, until: datetime):
    """The demo offers of ``agreement``'s partner and scenario that become sales: (offer, when
    the sale happened), the sale inside the agreement's dates and before ``until``."""
    offers = (
        OfferRecord.objects.filter(
            partner_id=agreement.partner_id,
            scenario__code=agreement.scenario_code,
            request_id__startswith=DEMO_REQUEST_PREFIX,
            tryout=False,
        )
        .values_list(
            "offer_id", "quoted_at", "product_code", "amount", "price", "customer_ref", "scenario__version"
        )
        .order_by("quoted_at", "offer_id")
    )
    for offer_id, quoted_at, product, amount, price, ref, version in offers.iterator(chunk_size=5000):
        if _chance(offer_id) >= TAKE_RATES.get((agreement.scenario_code, version), 0.0):
            continue
        occurred = quoted_at + timedelta(minutes=10 + int(_chance(offer_id, "later") * 48 * 60))
        day = timezone.localdate(occurred)
        if (
            occurred >= until
            or day < agreement.effective_from
            or (agreement.effective_to and day > agreement.effective_to)
        ):
            continue
        gross = Decimal(price.get("premium") or amount)
        yield offer_id, quoted_at, occurred, product, gross, ref


def _attributed_sales(agreement: Agreement, until: datetime) -> int:
    """Record the taken demo offers whose sale happened before ``until`` as sales naming their
    offer, through ``ledger_store``; the number of new rows."""
    catalog = partner_catalog(partner=agreement.partner)
    ops = connection.ops
    now = timezone.now()
    rows = []
    for index, (offer_id, quoted_at, occurred, product, gross, ref) in enumerate(
        taken_offers(agreement, until)
    ):
        item = {
            "external_id": f"demo-sale-{offer_id[5:]}", "scenario": agreement.scenario_code, "product": product,
            "kind": "sale", "amount": gross, "currency": "CNY", "occurred_at": occurred,
        }  # fmt: skip
        row = ledger_row(agreement.partner_id, item, catalog, index, now, Transaction.Source.API, ops)
        # The customer of the offer (the log keeps only the reference, the same the ledger keeps).
        rows.append(
            row._replace(
                customer_ref=ref,
                content_hash=content_hash(item, ref),
                offer_id=offer_id,
                offer_quoted_at=ops.adapt_datetimefield_value(quoted_at),
            )
        )
    created = 0
    with transaction.atomic():
        for start in range(0, len(rows), 1000):
            new, _existing, conflicts = ledger_store(
                rows[start : start + 1000], partner_id=agreement.partner_id
            )
            assert not conflicts, conflicts  # deterministic rows: a rerun only finds duplicates
            created += len(new)
    return created


def campaign_grants(*, today: date) -> int:
    """The summer campaign's rewards were granted by the ledger as the attributed sales were
    stored (``reward_grant_for_sales``); on the first run its budget is set so that they come
    to ``CAMPAIGN_SPENT_SHARE`` of it (nearly spent). The number of grants."""
    campaign = Campaign.objects.select_for_update().filter(code=CAMPAIGN_CODE).first()
    if campaign is None:
        return 0
    if campaign.budget == CAMPAIGN_SEED_BUDGET and campaign.spent:
        budget = (campaign.spent / CAMPAIGN_SPENT_SHARE / 100).to_integral_value(
            rounding="ROUND_CEILING"
        ) * 100
        Campaign.objects.filter(pk=campaign.pk).update(budget=Decimal(budget).quantize(Decimal("0.01")))
    return campaign.granted


# The partner whose approved statement is a claw-back (refunds of earlier sales exceeding its
# period's sales), and how many earlier periods' sales those refunds take back.
CLAWBACK_PARTNER = "greenleaf-community"
CLAWBACK_REFUNDED_PERIODS = 4


def _clawback_refunds(agreement: Agreement, products: list[str], per_day: int, today: date) -> int:
    """Make the period ``_settle_history`` leaves approved a claw-back, through the ledger: its
    customers refund in full the sales of the ``CLAWBACK_REFUNDED_PERIODS`` periods before it
    (those without a partial refund), more than the period sells, so its statement's total is
    negative — the partner owes it back (payout batches net it, docs/payouts.md). Only while
    that period is not settled yet (a fresh database): refunds after it would be late and land
    on a later statement. The number of new rows."""
    periods = list(
        closed_periods(cycle=agreement.cycle, effective_from=agreement.effective_from,
                       effective_to=agreement.effective_to, through=today - timedelta(days=1))
    )  # fmt: skip
    if len(periods) < CLAWBACK_REFUNDED_PERIODS + 3:
        return 0
    target = periods[-3]  # the statement left approved: see _settle_history
    if Statement.objects.filter(
        agreement=agreement, period_start__lte=target.end, period_end__gte=target.start
    ).exists():
        return 0
    span = (target.end - target.start).days + 1
    items = []
    for period in periods[-3 - CLAWBACK_REFUNDED_PERIODS : -3]:
        day = period.start
        while day <= period.end:
            for n in range(per_day):
                if day.day % 9 == 0 and n == 0:  # already partly refunded
                    continue
                key = f"{agreement.partner.slug}-{day:%Y%m%d}-{n}"
                occurred = datetime.combine(
                    target.start + timedelta(days=len(items) % span), time(20, 30), tzinfo=SHANGHAI
                )
                items.append({
                    "external_id": f"demo-{key}-clawback", "scenario": agreement.scenario_code,
                    "product": products[(day.toordinal() + n) % len(products)], "kind": "refund",
                    "amount": _amount(key), "currency": "CNY", "occurred_at": occurred, "refund_of": f"demo-{key}",
                })  # fmt: skip
            day += timedelta(days=1)
    if not items:
        return 0
    return services.transactions_record(
        partner=agreement.partner, items=items, source=Transaction.Source.IMPORT
    ).created


def _settle_history(agreement: Agreement, today: date, maker, checker, approved: int = 1) -> list[Statement]:
    """Settle all closed periods but the most recent one; move them through their states: the
    last draft, the ``approved`` before it approved, the older ones paid."""
    periods = list(
        closed_periods(cycle=agreement.cycle, effective_from=agreement.effective_from,
                       effective_to=agreement.effective_to, through=today - timedelta(days=1))
    )  # fmt: skip
    statements = [
        services.statement_generate(agreement_id=agreement.pk, period=period).statement
        for period in periods[:-1]
    ]
    for index, statement in enumerate(statements):
        target = (
            "draft"
            if index == len(statements) - 1
            else "approved"
            if index >= len(statements) - 1 - approved
            else "paid"
        )
        if target != "draft" and statement.status == "draft":
            services.statement_prepare(statement=statement, actor=maker)
            statement = services.statement_approve(statement=statement, actor=checker, reason="demo")
        # A claw-back (negative total) is netted by a payout batch, never paid by hand: it stays approved.
        clawback = statement.share_amount + statement.adjustment_amount < 0
        if target == "paid" and statement.status == "approved" and not clawback:
            # The maker records the payout, the checker confirms it (four eyes).
            statement = services.statement_pay(
                statement=statement, actor=maker, payout_reference=f"DEMO-{statement.partner_id}-{statement.period_start:%Y%m%d}",
                paid_on=min(statement.period_end + timedelta(days=10), today),
            )  # fmt: skip
        if target == "paid" and statement.status == "recorded":
            statement = services.statement_payout_confirm(statement=statement, actor=checker)
        statements[index] = statement
    return statements


def _dispute(statements: list[Statement]) -> None:
    approved = [s for s in statements if s.status == "approved"]
    if not approved:
        return
    statement = approved[-1]
    if Dispute.objects.filter(partner_id=statement.partner_id).exists():
        return
    owner = _user(f"owner@{Partner.objects.get(pk=statement.partner_id).slug}.demo")
    line = statement.lines.order_by("position").first()
    if owner is None or line is None:
        return
    services.dispute_raise(
        line=line, actor=owner,
        reason="Two bookings of the 3rd were cancelled and re-booked: we count two more sales than the bank does.",
    )  # fmt: skip


def seed(*, password: str, stdout) -> None:
    maker, checker = _user("maker@demo.local"), _user("checker@demo.local")
    if maker is None or checker is None:
        stdout.write("revenue: demo finance staff missing, skipped")
        return
    today = timezone.localdate()
    done = []
    granted = 0
    for slug, code, model, terms, cycle, products, per_day in DEMO_AGREEMENTS:
        agreement = _agreement(slug, code, model, terms, cycle, today, maker, checker)
        if agreement is None:
            continue
        created = _transactions(agreement, products, per_day, today)
        # The sales stop at the start of today: a second run the same day finds the same sales
        # (the offers end yesterday, but a sale may come up to two days after its offer).
        created += _attributed_sales(agreement, datetime.combine(today, time(0), tzinfo=SHANGHAI))
        if slug == CLAWBACK_PARTNER:
            created += _clawback_refunds(agreement, products, per_day, today)
        granted += campaign_grants(today=today)
        # Skyway keeps two approved statements: the payouts demo pays the older through a batch.
        statements = _settle_history(
            agreement, today, maker, checker, approved=2 if slug == "skyway-travel" else 1
        )
        if slug == "skyway-travel":
            _dispute(statements)
        done.append(f"{slug} ({model}, {cycle}): {created} new transactions, {len(statements)} statements")
    # The funnel's taken offers, gross and reward cost of the demo history (beat does it every
    # few minutes for new sales; the history's sales were stored all at once).
    funnel_rebuild(start=today - timedelta(days=OFFER_HISTORY_DAYS + 1), end=today)
    stdout.write(
        "revenue: " + ("; ".join(done) or "no demo partner in a scenario") + f"; {granted} rewards granted"
    )
