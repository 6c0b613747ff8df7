"""The staff console's payouts page: money owed, in payment, paid and returned by partner and
currency, and finance's work queues. A fixed number of queries however many partners,
statements or payouts; every sum is exact (``Decimal`` in Python, never a database aggregate
of money)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.fen import to_fen
from payouts.models import (
    BankStatementEntry,
    PayeeAccount,
    Payout,
    PayoutBatch,
    PayoutLine,
    PayoutStatusChange,
    VatInvoice,
)
from payouts.selectors import invoice_waived
from revenue.models import Statement

ZERO = Decimal("0.00")
# Who may open the page (every finance group and the auditors hold it; see portal.roles).
VIEW_PERMISSION = "payouts.view_payout"
# The blocked statements listed on the page (the count is always complete).
BLOCKED_SHOWN = 100
MONEY_FIELDS = ("owed", "clawback_open", "in_payment", "paid", "returned")


@dataclass
class PartnerMoney:
    """One partner's money in one currency. ``owed``: approved statements with a positive total
    in no live batch; ``clawback_open``: what live batches have not yet taken of its approved
    negative statements (positive); ``in_payment``: its payouts of released batches not yet
    paid; ``paid``/``returned``: its payouts paid (value date) / returned in the period."""

    partner_id: int | None
    partner: str
    currency: str
    owed: Decimal = ZERO
    clawback_open: Decimal = ZERO
    in_payment: Decimal = ZERO
    paid: Decimal = ZERO
    returned: Decimal = ZERO

    @property
    def net_owed(self) -> Decimal:
        """Owed less the open claw-backs (negative: the partner owes the bank)."""
        return self.owed - self.clawback_open

    def add(self, other: PartnerMoney) -> None:
        for name in MONEY_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class BlockedStatement:
    statement_id: int
    partner_name: str
    currency: str
    total: Decimal
    reasons: list[str]
    link: str


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    count: int
    link: str


@dataclass
class PayoutsOverview:
    start: date
    end: date
    rows: list[PartnerMoney]
    totals: list[PartnerMoney]  # one per currency
    queues: list[Queue]
    blocked: list[BlockedStatement] = field(default_factory=list)
    blocked_count: int = 0


def _total(statement: Statement) -> Decimal:
    return statement.share_amount + statement.adjustment_amount


def _day_start(day: date) -> datetime:
    """Midnight of ``day`` in the business time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _approved_statements() -> list[Statement]:
    return list(
        Statement.objects.filter(status=Statement.Status.APPROVED)
        .select_related("partner")
        .only(
            "pk",
            "currency",
            "share_amount",
            "adjustment_amount",
            "period_start",
            "partner__id",
            "partner__display_name",
            "partner__tier",
        )
        .order_by("pk")
    )


def _live_lines() -> tuple[set[int], dict[int, Decimal]]:
    """The approved statements in a live batch (positive lines) and what live lines took of
    each approved claw-back (positive amounts): one query, exact sums."""
    batched: set[int] = set()
    taken: dict[int, Decimal] = defaultdict(lambda: ZERO)
    rows = PayoutLine.objects.filter(live=True, statement__status=Statement.Status.APPROVED).values_list(
        "statement_id", "amount"
    )
    for statement_id, amount in rows:
        if amount > 0:
            batched.add(statement_id)
        else:
            taken[statement_id] -= amount
    return batched, taken


def _money_rows(statements, batched, taken, *, start: date, end: date) -> list[PartnerMoney]:
    rows: dict[tuple[int, str], PartnerMoney] = {}

    def row(partner_id: int, name: str, currency: str) -> PartnerMoney:
        key = (partner_id, currency)
        if key not in rows:
            rows[key] = PartnerMoney(partner_id=partner_id, partner=name, currency=currency)
        return rows[key]

    for statement in statements:
        total = _total(statement)
        line = row(statement.partner_id, statement.partner.display_name, statement.currency)
        if total > 0 and statement.pk not in batched:
            line.owed += total
        elif total < 0:
            line.clawback_open += max(-total - taken.get(statement.pk, ZERO), ZERO)
    payouts = Payout.objects.filter(status=Payout.Status.IN_PAYMENT) | Payout.objects.filter(
        status=Payout.Status.PAID, value_date__gte=start, value_date__lte=end
    )
    for partner_id, name, currency, status, amount in payouts.values_list(
        "partner_id", "partner__display_name", "currency", "status", "amount"
    ):
        line = row(partner_id, name, currency)
        if status == Payout.Status.PAID:
            line.paid += amount
        else:
            line.in_payment += amount
    returns = PayoutStatusChange.objects.filter(
        to_status=Payout.Status.RETURNED,
        changed_at__gte=_day_start(start),
        changed_at__lt=_day_start(end + timedelta(days=1)),
    ).values_list("payout__partner_id", "payout__partner__display_name", "payout__currency", "payout__amount")
    for partner_id, name, currency, amount in returns:
        row(partner_id, name, currency).returned += amount
    found = [r for r in rows.values() if any(getattr(r, n) for n in MONEY_FIELDS)]
    for line in found:
        for name in MONEY_FIELDS:
            setattr(line, name, to_fen(getattr(line, name)))
    return sorted(found, key=lambda r: (r.partner.casefold(), r.partner_id, r.currency))


def _totals(rows: list[PartnerMoney]) -> list[PartnerMoney]:
    totals: dict[str, PartnerMoney] = {}
    for line in rows:
        totals.setdefault(line.currency, PartnerMoney(None, _("Total"), line.currency)).add(line)
    return [totals[c] for c in sorted(totals)]


def _blocked(statements, batched, *, at: datetime) -> list[BlockedStatement]:
    """Approved statements owed to the partner, in no live batch, that a batch built now would
    leave out, each with why: no payee account verified, one still in cooling-off, no verified
    VAT invoice (or one awaiting review) unless the partner's tier is waived. Two queries."""
    waiting = [s for s in statements if _total(s) > 0 and s.pk not in batched]
    if not waiting:
        return []
    invoices = dict(
        VatInvoice.objects.filter(statement__status=Statement.Status.APPROVED)
        .exclude(status=VatInvoice.Status.REJECTED)
        .values_list("statement_id", "status")
    )
    # One verified account per partner and currency (a database constraint): when it pays from.
    accounts: dict[tuple[int, str], datetime | None] = {
        (partner_id, currency): effective_at
        for partner_id, currency, effective_at in PayeeAccount.objects.filter(
            status=PayeeAccount.Status.VERIFIED
        ).values_list("partner_id", "currency", "effective_at")
    }
    blocked = []
    for statement in waiting:
        reasons = []
        effective_at = accounts.get((statement.partner_id, statement.currency))
        if (statement.partner_id, statement.currency) not in accounts:
            reasons.append(_("no verified payee account"))
        elif effective_at is None or effective_at > at:
            until = date_format(timezone.localtime(effective_at), "DATETIME_FORMAT") if effective_at else ""
            reasons.append(_("payee account in cooling-off until %(time)s") % {"time": until})
        invoice = invoices.get(statement.pk)
        if invoice != VatInvoice.Status.VERIFIED and not invoice_waived(partner=statement.partner):
            reasons.append(
                _("VAT invoice awaiting review")
                if invoice == VatInvoice.Status.SUBMITTED
                else _("no VAT invoice recorded")
            )
        if reasons:
            blocked.append(
                BlockedStatement(
                    statement_id=statement.pk,
                    partner_name=statement.partner.display_name,
                    currency=statement.currency,
                    total=to_fen(_total(statement)),
                    reasons=reasons,
                    link=reverse("admin:revenue_statement_change", args=[statement.pk]),
                )
            )
    return blocked


def _queues(blocked_count: int) -> list[Queue]:
    """Each queue's count (a query each) and its admin list, filtered to what waits."""
    open_entries = BankStatementEntry.objects.filter(
        outcome__in=BankStatementEntry.EXCEPTIONS, decision=BankStatementEntry.Decision.OPEN
    )
    waiting = [
        ("accounts", _("Payee accounts awaiting verification"), PayeeAccount.objects.filter(status="pending"),
         "payeeaccount", "status__exact=pending"),
        ("invoices", _("VAT invoices awaiting review"), VatInvoice.objects.filter(status="submitted"),
         "vatinvoice", "status__exact=submitted"),
        ("blocked", _("Statements blocked from payment"), None, "", ""),
        ("entries", _("Bank statement entries open for a decision"), open_entries, "bankstatemententry", "open=1"),
        ("drafts", _("Draft batches awaiting release"), PayoutBatch.objects.filter(status="draft"),
         "payoutbatch", "status__exact=draft"),
    ]  # fmt: skip
    return [
        Queue(key, label, blocked_count, "#payouts-blocked")
        if rows is None
        else Queue(key, label, rows.count(), f"{reverse(f'admin:payouts_{model}_changelist')}?{query}")
        for key, label, rows, model, query in waiting
    ]


def payouts_overview(*, start: date, end: date, at: datetime | None = None) -> PayoutsOverview:
    """The page's figures for the period ``start``–``end`` (business dates, both inclusive):
    ten queries whatever the volume."""
    at = at or timezone.now()
    statements = _approved_statements()
    batched, taken = _live_lines()
    rows = _money_rows(statements, batched, taken, start=start, end=end)
    blocked = _blocked(statements, batched, at=at)
    return PayoutsOverview(
        start=start,
        end=end,
        rows=rows,
        totals=_totals(rows),
        queues=_queues(len(blocked)),
        blocked=blocked[:BLOCKED_SHOWN],
        blocked_count=len(blocked),
    )


PAYOUT_HEADERS = (
    "partner",
    "currency",
    "owed",
    "clawback_open",
    "net_owed",
    "in_payment",
    "paid",
    "returned",
)


def payouts_table(overview: PayoutsOverview) -> list[list]:
    """The by-partner table as plain values (rows, then one total per currency)."""
    return [[getattr(line, name) for name in PAYOUT_HEADERS] for line in [*overview.rows, *overview.totals]]
