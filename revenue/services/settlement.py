"""Settlement: every closed period of every agreement in force gets exactly one statement.

``settlement_start`` plans the periods still to settle through a date and fans them out as
Celery tasks on the settlement queue: one chain per partner and scenario (periods in order,
since a late transaction lands in the first statement generated after its own period's), the
chains in parallel. ``statement_generate`` writes one period's statement atomically:

1. lock the agreements of the partner's scenario (``SELECT … FOR UPDATE``, id order) and its
   ledger exclusively (``_common.ledger_lock``: no recording of it is in flight);
2. return if the statement exists (the unique (agreement, period) constraint backs this up), so
   a task run twice, two runs at once or a killed run re-run all leave the same result;
3. read the ledger's last id: the statement covers its period's transactions up to that id and
   the late arrivals since the scenario's previous statement (``ledger_after < id <=
   ledger_through``). Rows committed later get higher ids and are the next statement's, so the
   bounds link every transaction to exactly one statement without writing a ledger row;
4. sum those rows with SQL ``GROUP BY`` (scenario, product, kind), compute the shares of the
   few lines (``revenue.money``) and write the lines and the totals.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from celery import chain
from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Max, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fen import to_fen
from core.jobs import task_signature
from core.money import MoneySum
from core.transitions import change_row_write

from ..exceptions import SettlementInvalid, StatementOverlap
from ..models import (
    Adjustment,
    Agreement,
    RewardGrant,
    SettlementRun,
    Statement,
    StatementLine,
    StatementStatusChange,
    Transaction,
)
from ..money import ZERO, line_shares
from ..periods import Period, closed_periods
from ..selectors import (
    covering_statements,
    statement_late_transactions,
    statement_period_transactions,
    with_statement,
)
from ._common import ledger_lock, lock_scenario_agreements
from .statements import statement_publish

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedPeriod:
    agreement_id: int
    partner_id: int
    scenario_code: str
    start: date
    end: date


def settlement_plan(*, through: date) -> list[list[PlannedPeriod]]:
    """The periods to settle through ``through``, one list per partner and scenario, in order.
    Starts after each agreement's last statement: cost follows the periods to settle, not the
    history (two queries)."""
    agreements = list(
        Agreement.objects.filter(status__in=Agreement.IN_FORCE, effective_from__lte=through)
        .annotate(last_end=Max("statements__period_end"))
        .values("id", "partner_id", "scenario_code", "cycle", "effective_from", "effective_to", "last_end")
    )
    groups: dict[tuple[int, str], list[PlannedPeriod]] = defaultdict(list)
    for a in agreements:
        for period in closed_periods(
            cycle=a["cycle"],
            effective_from=a["effective_from"],
            effective_to=a["effective_to"],
            through=through,
        ):
            if a["last_end"] is not None and period.end <= a["last_end"]:
                continue
            groups[(a["partner_id"], a["scenario_code"])].append(
                PlannedPeriod(a["id"], a["partner_id"], a["scenario_code"], period.start, period.end)
            )
    return [sorted(group, key=lambda p: p.start) for _key, group in sorted(groups.items())]


def settlement_start(
    *, through: date, trigger: str, actor=None, task_id: str = "", dispatch: bool = True
) -> SettlementRun:
    """Record a run and fan its periods out to the settlement queue (run inline when Celery is
    eager). ``dispatch=False`` only plans (the caller settles inline). Refuses a ``through``
    after the last closed day (Asia/Shanghai): an open period is never settled."""
    last_closed = timezone.localdate() - timedelta(days=1)
    if through > last_closed:
        raise SettlementInvalid(
            _("Periods through %(day)s have not closed yet: settle through %(last)s at the latest.")
            % {"day": through, "last": last_closed},
            field="through",
        )
    plan = settlement_plan(through=through)
    planned = sum(len(group) for group in plan)
    run = SettlementRun.objects.create(
        through=through, trigger=trigger, started_by=actor, task_id=task_id, periods_planned=planned
    )
    logger.info("settlement run %s through %s: %d periods to settle", run.pk, through, planned)
    if not planned:
        _finish(run.pk)
        return run
    if dispatch:
        _dispatch(run.pk, plan)
    else:
        # In this process, in plan order; a period that fails is recorded and the other
        # partners go on (``settlement_period_settle`` never raises for a period's failure).
        for group in plan:
            for period in group:
                settlement_period_settle(
                    run_id=run.pk, agreement_id=period.agreement_id, period=Period(period.start, period.end)
                )
    run.refresh_from_db()
    return run


def settlement_run_resume(*, run_id: int) -> int:
    """Dispatch again what a stalled run has not settled (its worker died, its messages are
    with the broker until the visibility timeout): the periods ``settlement_plan`` still finds
    through the run's date, less the partner scenarios that already failed in this run. Safe:
    a statement is generated once, so a period still in flight, or a lost task the broker
    delivers again later, returns the existing statement and is not counted twice. The run's
    plan becomes what it has done and failed plus what is dispatched now. Returns the number
    of periods dispatched; a run with none left ends."""
    run = SettlementRun.objects.get(pk=run_id)
    failed = _failed_chains(run.errors)
    plan = [
        group
        for group in settlement_plan(through=run.through)
        if (group[0].partner_id, group[0].scenario_code) not in failed
    ]
    remaining = sum(len(group) for group in plan)
    moved = SettlementRun.objects.filter(pk=run_id, status=SettlementRun.Status.RUNNING).update(
        periods_planned=F("periods_done") + F("periods_failed") + remaining, progress_at=timezone.now()
    )
    if not moved:
        return 0
    logger.warning("settlement run %s stalled: %d periods dispatched again", run_id, remaining)
    if remaining:
        _dispatch(run_id, plan)
    else:
        _finish(run_id, only_when_done=True)
    return remaining


def _dispatch(run_id: int, plan: list[list[PlannedPeriod]]) -> None:
    """One chain of ``revenue.tasks.statement_generate`` per partner scenario, sent at once."""
    queue = settings.REVENUE_SETTLEMENT_QUEUE
    for group in plan:
        signatures = [
            task_signature(
                "revenue.tasks.statement_generate",
                run_id,
                p.agreement_id,
                p.start.isoformat(),
                p.end.isoformat(),
            ).set(queue=queue)
            for p in group
        ]
        chain(*signatures).apply_async()


@dataclass(frozen=True)
class Generated:
    # None when the agreement no longer covers any day of the period (superseded or ended
    # after the period was planned): nothing to settle under it.
    statement: Statement | None
    created: bool
    transactions: int


def period_clip(period: Period, *, effective_from: date, effective_to: date | None) -> Period | None:
    """``period`` cut to an agreement's effective dates, or None when they do not meet."""
    start = max(period.start, effective_from)
    end = period.end if effective_to is None else min(period.end, effective_to)
    return Period(start, end) if start <= end else None


def statement_generate(*, agreement_id: int, period: Period, run_id: int | None = None) -> Generated:
    """The statement of ``agreement_id`` for ``period``: generated once (see the module
    docstring); the existing one when it is there.

    The period was planned earlier (a queued task carries it); a superseding agreement may
    have been approved since. So the agreement is read again under the scenario's agreement
    lock, which approval takes too, and the period is clipped to its effective dates as they
    are now: an agreement that ended on the 19th settles the week of the 16th only through the
    19th, and nothing after it."""
    with transaction.atomic():
        partner_id, scenario_code = Agreement.objects.values_list("partner_id", "scenario_code").get(
            pk=agreement_id
        )
        lock_scenario_agreements(partner_id=partner_id, scenario_code=scenario_code)
        agreement = Agreement.objects.select_related("partner").get(pk=agreement_id)
        existing = Statement.objects.filter(agreement_id=agreement_id, period_start=period.start).first()
        if existing is not None:
            if run_id is not None and existing.run_id != run_id:
                _progress(run_id, created=False, transactions=0)
            return Generated(existing, False, 0)
        clipped = period_clip(
            period, effective_from=agreement.effective_from, effective_to=agreement.effective_to
        )
        if clipped is None or agreement.status not in Agreement.IN_FORCE:
            logger.info("agreement %s no longer covers %s: nothing to settle", agreement_id, period)
            if run_id is not None:
                _progress(run_id, created=False, transactions=0)
            return Generated(None, False, 0)
        period = clipped
        _refuse_overlap(agreement, period)
        ledger_lock(partner_id=agreement.partner_id, scenario_codes=[agreement.scenario_code], exclusive=True)
        # The previous statement's bound of the partner's scenario (under any agreement): late
        # arrivals after it are this statement's.
        after = (
            Statement.objects.filter(
                partner_id=agreement.partner_id,
                scenario_code=agreement.scenario_code,
                currency=agreement.currency,
            ).aggregate(bound=Max("ledger_through"))["bound"]
            or 0
        )
        through = Transaction.objects.aggregate(last=Max("id"))["last"] or 0
        statement = Statement.objects.create(
            agreement=agreement,
            partner_id=agreement.partner_id,
            scenario_code=agreement.scenario_code,
            period_start=period.start,
            period_end=period.end,
            currency=agreement.currency,
            run_id=run_id,
            ledger_after=after,
            ledger_through=through,
        )
        lines = (
            _regular_lines(statement, agreement)
            + _late_lines(statement)
            + _manual_lines(statement, agreement)
            + _reward_lines(statement)
        )
        for position, line in enumerate(lines, start=1):
            line.position = position
        StatementLine.objects.bulk_create(lines)
        # Reward costs are deductions: with the adjustments (the partner is paid share +
        # adjustments), and their grants are not transactions of their own.
        deductions = (StatementLine.Kind.ADJUSTMENT, StatementLine.Kind.REWARD)
        regular = [line for line in lines if line.kind not in deductions]
        adjustments = [line for line in lines if line.kind in deductions]
        totals = {
            "transaction_count": sum(
                line.transaction_count for line in lines if line.kind != StatementLine.Kind.REWARD
            ),
            "gross_amount": sum((line.gross_amount for line in regular), ZERO),
            "share_amount": sum((line.share_amount for line in regular), ZERO),
            "adjustment_amount": sum((line.share_amount for line in adjustments), ZERO),
        }
        Statement.objects.filter(pk=statement.pk).update(**totals)
        for name, value in totals.items():
            setattr(statement, name, value)
        change_row_write(
            StatementStatusChange,
            statement,
            from_status="",
            to_status=Statement.Status.DRAFT,
            actor=None,
            reason="generated",
        )
        statement_publish(statement=statement, event="statement.ready")
        if run_id is not None:
            _progress(run_id, created=True, transactions=statement.transaction_count)
    return Generated(statement, True, statement.transaction_count)


def _refuse_overlap(agreement: Agreement, period: Period) -> None:
    """Two statements of one partner's scenario never cover the same day. PostgreSQL also
    refuses it with an exclusion constraint (``statement_periods_do_not_overlap``); on SQLite,
    whose writers are serialised, this check under the agreement lock is the guard."""
    clash = (
        Statement.objects.filter(
            partner_id=agreement.partner_id,
            scenario_code=agreement.scenario_code,
            period_start__lte=period.end,
            period_end__gte=period.start,
        )
        .values_list("pk", "period_start", "period_end")
        .first()
    )
    if clash is not None:
        raise StatementOverlap(
            _("Statement %(id)d already covers %(start)s–%(end)s of this partner's scenario.")
            % {"id": clash[0], "start": clash[1], "end": clash[2]}
        )


def _signed(kind: str, total: Decimal) -> Decimal:
    return -total if kind == Transaction.Kind.REFUND else total


# Refunds that name their sale (``refund_of``) are priced by what that sale earned:
#
# - a refund whose sale an earlier statement settled is clawed back at that statement's rate
#   for the product (percentage: its agreement's rate; tiered: its sale line's share over gross,
#   the rate the sale really earned), whatever period the refund falls in: a partner cannot
#   time refunds into a cheaper band. It stays out of the current period's tiered basis;
# - a refund of a sale settled by the statement being generated nets against its basis;
# - a fixed fee per transaction is reversed only by the refund that completes its sale's full
#   refund (partial refunds reverse nothing): a fee was earned per sale, not per amount.
#
# Refunds recorded before refunds named their sale (``refund_of`` null) settle as they always
# did: netted against their period's basis, a fixed fee reversed per refund.


@dataclass
class _Group:
    """One (scenario, product, kind) of ledger rows: count, signed gross, and for fixed fees
    how many of them move a fee (sales, legacy refunds and completing refunds)."""

    count: int = 0
    gross: Decimal = ZERO
    fees: int = 0
    earned_share: Decimal = ZERO  # refunds of earlier statements' sales, already priced


def _naming_refunds(rows):
    """``rows``' refunds that name their sale, grouped by (…, sale's statement) with their count,
    total and the number that complete their sale's refund. A correlated lookup per refund only
    (sales take the plain GROUP BY)."""
    sale_statement = with_statement(Transaction.objects.filter(pk=OuterRef("refund_of_id"))).values(
        "statement_id"
    )[:1]
    refunded_through = (
        Transaction.objects.filter(refund_of_id=OuterRef("refund_of_id"), id__lte=OuterRef("id"))
        .order_by()
        .values("refund_of_id")
        .annotate(total=MoneySum("amount"))
        .values("total")
    )
    return rows.filter(refund_of__isnull=False).annotate(
        sale_statement=Subquery(sale_statement),
        refunded_through=Subquery(refunded_through),
    )


def _completing() -> Count:
    return Count("id", filter=Q(refunded_through__gte=F("refund_of__amount")))


def _earned_shares(groups: list[dict], current_id: int) -> dict[tuple, Decimal]:
    """The claw-back of each group of refunds whose sale an earlier statement settled, at what
    that sale earned there. ``groups`` carry ``sale_statement``, ``product_id``, ``total`` and
    ``completing``; the key is the group's position."""
    earlier = {g["sale_statement"] for g in groups if g["sale_statement"] not in (None, current_id)}
    if not earlier:
        return {}
    statements = Statement.objects.select_related("agreement").in_bulk(earlier)
    sale_lines = {
        (row["statement_id"], row["product_id"]): (row["gross"], row["share"])
        for row in StatementLine.objects.filter(statement_id__in=earlier, kind=StatementLine.Kind.SALE)
        .values("statement_id", "product_id")
        .annotate(gross=MoneySum("gross_amount"), share=MoneySum("share_amount"))
    }
    shares: dict[tuple, Decimal] = {}
    for position, g in enumerate(groups):
        old = statements.get(g["sale_statement"])
        if old is None:
            continue
        model, terms = old.agreement.model, old.agreement.terms
        if model == Agreement.Model.FIXED_PER_TRANSACTION:
            shares[position] = -to_fen(Decimal(terms["amount"]) * g["completing"])
            continue
        if model == Agreement.Model.PERCENTAGE:
            rate = Decimal(terms["rate"])
        else:
            gross, share = sale_lines.get((old.pk, g["product_id"]), (None, None))
            if not gross:
                gross, share = old.gross_amount, old.share_amount
            rate = share / gross if gross and gross > 0 else Decimal(terms["tiers"][0]["rate"])
        shares[position] = -to_fen(g["total"] * rate)
    return shares


def _regular_lines(statement: Statement, agreement: Agreement) -> list[StatementLine]:
    period_rows = statement_period_transactions(statement)
    merged: dict[tuple, _Group] = defaultdict(_Group)
    for g in (
        period_rows.filter(refund_of__isnull=True)
        .values("scenario_code", "product_id", "kind")
        .annotate(count=Count("id"), total=MoneySum("amount"))
        .order_by()
    ):
        group = merged[(g["scenario_code"], g["product_id"], g["kind"])]
        group.count += g["count"]
        group.fees += g["count"]
        group.gross += _signed(g["kind"], g["total"])
    refunds = list(
        _naming_refunds(period_rows)
        .values("scenario_code", "product_id", "sale_statement")
        .annotate(count=Count("id"), total=MoneySum("amount"), completing=_completing())
        .order_by()
    )
    earned = _earned_shares(refunds, statement.pk)
    for position, g in enumerate(refunds):
        group = merged[(g["scenario_code"], g["product_id"], Transaction.Kind.REFUND)]
        group.count += g["count"]
        group.gross -= g["total"]
        if position in earned:
            group.earned_share += earned[position]
        else:
            group.fees += g["completing"]
    keys = sorted(merged)
    # The basis: everything but the refunds already priced at their sale's rate.
    earned_gross = {
        (g["scenario_code"], g["product_id"], Transaction.Kind.REFUND): Decimal(0) for g in refunds
    }
    for position, g in enumerate(refunds):
        if position in earned:
            earned_gross[(g["scenario_code"], g["product_id"], Transaction.Kind.REFUND)] -= g["total"]
    basis = [
        (key[2], merged[key].fees, merged[key].gross - earned_gross.get(key, Decimal(0))) for key in keys
    ]
    priced = [i for i, (_kind, fees, gross) in enumerate(basis) if gross or fees]
    shares = dict(
        zip(
            priced,
            line_shares(model=agreement.model, terms=agreement.terms, lines=[basis[i] for i in priced]),
            strict=True,
        )
    )
    return [
        StatementLine(
            statement=statement,
            scenario_code=key[0],
            product_id=key[1],
            kind=key[2],
            transaction_count=merged[key].count,
            gross_amount=to_fen(merged[key].gross),
            share_amount=shares.get(i, ZERO) + merged[key].earned_share,
        )
        for i, key in enumerate(keys)
    ]


def _late_lines(statement: Statement) -> list[StatementLine]:
    """Adjustment lines for transactions of already-settled periods, one per earlier statement
    and product, priced with that statement's agreement terms (refunds of sales settled
    elsewhere: at what the sale earned)."""
    covering = covering_statements(
        OuterRef("partner_id"), OuterRef("scenario_code"), OuterRef("currency"), OuterRef("occurred_on")
    )
    late_rows = statement_late_transactions(statement).annotate(adjusts=Subquery(covering.values("id")[:1]))
    groups = [
        {**g, "fees": g["count"]}
        for g in late_rows.filter(refund_of__isnull=True)
        .values("adjusts", "scenario_code", "product_id", "kind")
        .annotate(count=Count("id"), total=MoneySum("amount"))
        .order_by()
    ]
    refunds = list(
        _naming_refunds(late_rows)
        .values("adjusts", "scenario_code", "product_id", "sale_statement")
        .annotate(count=Count("id"), total=MoneySum("amount"), completing=_completing())
        .order_by()
    )
    earned = _earned_shares(refunds, statement.pk)
    extra: dict[tuple, _Group] = defaultdict(_Group)
    for position, g in enumerate(refunds):
        if position in earned:
            line = extra[(g["adjusts"], g["scenario_code"], g["product_id"])]
            line.count += g["count"]
            line.gross -= g["total"]
            line.earned_share += earned[position]
        else:
            groups.append(
                {
                    "adjusts": g["adjusts"],
                    "scenario_code": g["scenario_code"],
                    "product_id": g["product_id"],
                    "kind": Transaction.Kind.REFUND,
                    "count": g["count"],
                    "total": g["total"],
                    "fees": g["completing"],
                }
            )
    if not groups and not extra:
        return []
    groups.sort(key=lambda g: (g["adjusts"], g["scenario_code"], g["product_id"], g["kind"]))
    old_ids = {g["adjusts"] for g in groups} | {key[0] for key in extra}
    olds = Statement.objects.select_related("agreement").in_bulk(old_ids)
    before = {
        row["adjusts"]: row
        for row in StatementLine.objects.filter(adjusts__in=old_ids)
        .values("adjusts")
        .annotate(gross=MoneySum("gross_amount"), share=MoneySum("share_amount"))
    }
    lines: list[StatementLine] = []
    for old_id in sorted(old_ids):
        old = olds[old_id]
        mine = [g for g in groups if g["adjusts"] == old_id]
        triples = [(g["kind"], g["fees"], _signed(g["kind"], g["total"])) for g in mine]
        earlier = before.get(old_id, {"gross": ZERO, "share": ZERO})
        shares = line_shares(
            model=old.agreement.model,
            terms=old.agreement.terms,
            lines=triples,
            base_basis=old.gross_amount + (earlier["gross"] or ZERO),
            base_share=old.share_amount + (earlier["share"] or ZERO),
        )
        merged: dict[tuple[str, int], StatementLine] = {}

        def line_of(code: str, product_id: int, old=old, merged=merged) -> StatementLine:
            return merged.setdefault(
                (code, product_id),
                StatementLine(
                    statement=statement,
                    scenario_code=code,
                    product_id=product_id,
                    kind=StatementLine.Kind.ADJUSTMENT,
                    adjusts=old,
                ),
            )

        for g, (_kind, _fees, gross), share in zip(mine, triples, shares, strict=True):
            line = line_of(g["scenario_code"], g["product_id"])
            line.transaction_count += g["count"]
            line.gross_amount += gross
            line.share_amount += share
        for (adjusts, code, product_id), group in sorted(extra.items()):
            if adjusts == old_id:
                line = line_of(code, product_id)
                line.transaction_count += group.count
                line.gross_amount += group.gross
                line.share_amount += group.earned_share
        lines.extend(merged[key] for key in sorted(merged))
    return lines


def _manual_lines(statement: Statement, agreement: Agreement) -> list[StatementLine]:
    """Approved manual adjustments (resolved disputes) of the partner's scenario not yet on a
    statement."""
    pending = Adjustment.objects.filter(
        agreement__partner_id=agreement.partner_id,
        agreement__scenario_code=agreement.scenario_code,
        status=Adjustment.Status.APPROVED,
        line__isnull=True,
    ).order_by("pk")
    return [
        StatementLine(
            statement=statement,
            scenario_code=agreement.scenario_code,
            product_id=adjustment.product_id,
            kind=StatementLine.Kind.ADJUSTMENT,
            transaction_count=0,
            gross_amount=ZERO,
            share_amount=adjustment.amount,
            adjustment=adjustment,
        )
        for adjustment in pending
    ]


def _reward_lines(statement: Statement) -> list[StatementLine]:
    """Deduction lines for the partner-funded part of reward grants, one per product: the
    grants of the partner's scenario (and currency) whose sale is settled by now (``id <=
    ledger_through``, occurred by the period's end) and that no statement deducted yet. They are
    claimed (``RewardGrant.statement``) in one ``UPDATE … WHERE statement IS NULL`` under the
    exclusive ledger lock: each grant is deducted once, by the first statement that may. A late
    sale's grant lands on the next statement, as the sale itself does. Exact to the fen: the
    line is minus the sum of the grants' ``partner_amount``."""
    claimed = RewardGrant.objects.filter(
        partner_id=statement.partner_id,
        statement__isnull=True,
        partner_amount__gt=0,
        transaction__scenario_code=statement.scenario_code,
        transaction__currency=statement.currency,
        transaction__occurred_on__lte=statement.period_end,
        transaction_id__lte=statement.ledger_through,
    ).update(statement=statement)
    if not claimed:
        return []
    groups = (
        RewardGrant.objects.filter(statement=statement)
        .values("transaction__product_id")
        .annotate(count=Count("id"), total=MoneySum("partner_amount"))
        .order_by("transaction__product_id")
    )
    return [
        StatementLine(
            statement=statement,
            scenario_code=statement.scenario_code,
            product_id=g["transaction__product_id"],
            kind=StatementLine.Kind.REWARD,
            transaction_count=g["count"],
            gross_amount=ZERO,
            share_amount=-g["total"],
        )
        for g in groups
    ]


def _progress(run_id: int, *, created: bool, transactions: int) -> None:
    SettlementRun.objects.filter(pk=run_id).update(
        periods_done=F("periods_done") + 1,
        statements_created=F("statements_created") + (1 if created else 0),
        transactions_settled=F("transactions_settled") + transactions,
        progress_at=timezone.now(),
    )
    _finish(run_id, only_when_done=True)


def _finish(run_id: int, *, only_when_done: bool = False) -> None:
    """End the run once every planned period is done or failed: ``succeeded`` when none
    failed, ``failed`` when none settled, ``partial`` otherwise."""
    runs = SettlementRun.objects.filter(pk=run_id, status=SettlementRun.Status.RUNNING)
    if only_when_done:
        runs = runs.filter(periods_planned__lte=F("periods_done") + F("periods_failed"))
    runs.update(
        status=Case(
            When(periods_failed=0, then=Value(SettlementRun.Status.SUCCEEDED)),
            When(periods_done=0, then=Value(SettlementRun.Status.FAILED)),
            default=Value(SettlementRun.Status.PARTIAL),
        ),
        finished_at=timezone.now(),
    )


def _failed_chains(errors: list) -> set[tuple[int, str]]:
    """The partner scenarios (``(partner id, scenario code)``) with a failed period in ``errors``."""
    return {(e["partner_id"], e["scenario"]) for e in errors if isinstance(e, dict) and "partner_id" in e}


def settlement_period_settle(*, run_id: int, agreement_id: int, period: Period) -> Generated | None:
    """Settle one planned period of a run: its statement, or ``None`` when it did not settle.
    Never raises for the period's own failure, so one partner's failure never stops another's:
    the error is recorded on the run (``settlement_run_fail``). A later period of a partner
    scenario that failed in this run is skipped and counted, since a statement generated after
    a missing one would leave that period's transactions in none; the next run retries both."""
    agreement = Agreement.objects.values("partner_id", "partner__slug", "scenario_code").get(pk=agreement_id)
    chain = (agreement["partner_id"], agreement["scenario_code"])
    errors = SettlementRun.objects.values_list("errors", flat=True).get(pk=run_id)
    if chain in _failed_chains(errors):
        _skip(run_id=run_id, chain=chain)
        return None
    try:
        return statement_generate(agreement_id=agreement_id, period=period, run_id=run_id)
    except Exception as exc:  # any failure of one period is recorded, the run goes on
        logger.exception("settlement run %s: agreement %s %s failed", run_id, agreement_id, period.start)
        settlement_run_fail(
            run_id=run_id,
            agreement_id=agreement_id,
            period=period,
            error=f"{exc.__class__.__name__}: {exc}",
        )
        return None


def settlement_run_fail(*, run_id: int, agreement_id: int, period: Period, error: str) -> None:
    """Record a period that failed, with its error; the run goes on with the other partner
    scenarios and ends ``partial`` or ``failed`` (the next run retries the period)."""
    agreement = Agreement.objects.values("partner_id", "partner__slug", "scenario_code").get(pk=agreement_id)
    with transaction.atomic():
        run = SettlementRun.objects.select_for_update().get(pk=run_id)
        run.errors = [
            *run.errors,
            {
                "partner_id": agreement["partner_id"],
                "partner": agreement["partner__slug"],
                "scenario": agreement["scenario_code"],
                "agreement": agreement_id,
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "error": error[:500],
                "skipped": 0,
            },
        ]
        run.periods_failed += 1
        run.progress_at = timezone.now()
        run.save(update_fields=["errors", "periods_failed", "progress_at"])
    _finish(run_id, only_when_done=True)


def _skip(*, run_id: int, chain: tuple[int, str]) -> None:
    with transaction.atomic():
        run = SettlementRun.objects.select_for_update().get(pk=run_id)
        run.errors = [
            {**e, "skipped": e["skipped"] + 1}
            if isinstance(e, dict) and (e.get("partner_id"), e.get("scenario")) == chain
            else e
            for e in run.errors
        ]
        run.periods_failed += 1
        run.progress_at = timezone.now()
        run.save(update_fields=["errors", "periods_failed", "progress_at"])
    _finish(run_id, only_when_done=True)
