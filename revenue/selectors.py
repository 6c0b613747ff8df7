"""Reads of revenue data that the portal pages, the open API, the admin and the exports share.
Every read of partner data takes the partner: another partner's object is ``DoesNotExist``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.utils.translation import gettext as _

from core.four_eyes import makers_add

from .models import (
    Adjustment,
    Agreement,
    AgreementStatusChange,
    SandboxTransaction,
    Statement,
    StatementLine,
    Transaction,
)


def agreements_for_partner(*, partner, shown: bool = False) -> QuerySet[Agreement]:
    """The partner's approved agreements (in force or superseded), newest first; with
    ``shown``, also those sent for its acceptance or declined (the portal's list). Drafts and
    pending ones are the bank's internal business."""
    statuses = Agreement.SHOWN_TO_PARTNER if shown else Agreement.IN_FORCE
    return Agreement.objects.filter(partner=partner, status__in=statuses).order_by(
        "scenario_code", "-effective_from", "-id"
    )


def agreement_for_partner(*, partner, agreement_id: int) -> Agreement:
    """One agreement the partner was sent, with its scenario and who accepted it
    (``DoesNotExist`` for another partner's or an internal one)."""
    return (
        agreements_for_partner(partner=partner, shown=True)
        .select_related("scenario", "accepted_by", "supersedes")
        .get(pk=agreement_id)
    )


def agreement_partner_history(agreement: Agreement) -> QuerySet[AgreementStatusChange]:
    """The moves of ``agreement`` the partner sees, oldest first: sent, declined, accepted,
    superseded, revised (the bank's internal drafting and approval are not shown). One query."""
    return (
        AgreementStatusChange.objects.filter(agreement=agreement)
        .filter(
            Q(to_status__in=Agreement.SHOWN_TO_PARTNER)
            | Q(
                to_status=Agreement.Status.DRAFT,
                from_status__in=[Agreement.Status.SENT, Agreement.Status.DECLINED],
            )
        )
        .select_related("changed_by")
        .order_by("changed_at", "id")
    )


def agreements_awaiting_acceptance_count(*, partner) -> int:
    """How many agreements wait for the partner's answer (the dashboard's note). One query."""
    return Agreement.objects.filter(partner=partner, status=Agreement.Status.SENT).count()


def _lines() -> Prefetch:
    return Prefetch("lines", queryset=StatementLine.objects.select_related("product").order_by("position"))


def statements_for_partner(*, partner) -> QuerySet[Statement]:
    """The partner's statements with their lines (2 queries per page) and scenario (for its name),
    newest period first. Uses ``statement_partner_period_idx``."""
    return (
        Statement.objects.filter(partner=partner)
        .select_related("agreement__scenario")
        .prefetch_related(_lines())
        .order_by("-period_start", "-id")
    )


def statement_for_partner(*, partner, statement_id: int) -> Statement:
    return statements_for_partner(partner=partner).get(pk=statement_id)


def transactions_for_partner(
    *,
    partner,
    occurred_after: datetime | None = None,
    occurred_before: datetime | None = None,
    scenario: str | None = None,
) -> QuerySet[Transaction]:
    """The partner's transactions, newest first (``transaction_partner_time_idx``)."""
    rows = Transaction.objects.filter(partner=partner)
    if occurred_after is not None:
        rows = rows.filter(occurred_at__gte=occurred_after)
    if occurred_before is not None:
        rows = rows.filter(occurred_at__lt=occurred_before)
    if scenario:
        rows = rows.filter(scenario_code=scenario)
    return with_statement(rows).select_related("product", "refund_of").order_by("-occurred_at", "-id")


# Which statement settled a transaction follows from the statements' ledger bounds (see
# ``revenue.services.settlement``): nothing is written on the transaction.
def _in_scope(statement: Statement) -> Q:
    return Q(
        partner_id=statement.partner_id, scenario_code=statement.scenario_code, currency=statement.currency
    )


def statement_period_transactions(statement: Statement) -> QuerySet[Transaction]:
    """The transactions of the statement's own period that it settled."""
    return Transaction.objects.filter(
        _in_scope(statement),
        occurred_on__gte=statement.period_start,
        occurred_on__lte=statement.period_end,
        id__lte=statement.ledger_through,
    )


def statement_late_transactions(statement: Statement) -> QuerySet[Transaction]:
    """The late arrivals (of earlier, settled periods) the statement settled as adjustments."""
    return Transaction.objects.filter(
        _in_scope(statement),
        late=True,
        id__gt=statement.ledger_after,
        id__lte=statement.ledger_through,
        occurred_on__lt=statement.period_start,
    )


def statement_transactions(statement: Statement) -> QuerySet[Transaction]:
    """Every transaction the statement settled: its period's and the late arrivals."""
    return statement_period_transactions(statement) | statement_late_transactions(statement)


def covering_statements(partner_id, scenario_code, currency, day) -> QuerySet[Statement]:
    """Statements of a partner's scenario in ``currency`` whose period holds ``day`` (values or
    ``OuterRef``s); at most one exists."""
    return Statement.objects.filter(
        partner_id=partner_id,
        scenario_code=scenario_code,
        currency=currency,
        period_start__lte=day,
        period_end__gte=day,
    )


def with_statement(rows: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """``rows`` annotated with ``statement_id``: the statement that settled each one, or None.

    A transaction on time is settled by the statement covering its date if that statement saw
    its id; a late one by the first statement of its scenario whose bounds hold its id."""
    if "statement_id" in rows.query.annotations:
        return rows
    row = (OuterRef("partner_id"), OuterRef("scenario_code"), OuterRef("currency"))
    on_time = covering_statements(*row, OuterRef("occurred_on")).filter(ledger_through__gte=OuterRef("id"))
    late = Statement.objects.filter(
        partner_id=row[0],
        scenario_code=row[1],
        currency=row[2],
        ledger_after__lt=OuterRef("id"),
        ledger_through__gte=OuterRef("id"),
        period_start__gt=OuterRef("occurred_on"),
    )
    return rows.annotate(
        statement_id=Case(
            When(late=True, then=Subquery(late.order_by("ledger_through").values("id")[:1])),
            default=Subquery(on_time.values("id")[:1]),
        )
    )


def transaction_for_partner(*, partner, transaction_id: int) -> Transaction:
    return transactions_for_partner(partner=partner).get(pk=transaction_id)


def sandbox_transactions_for_partner(*, partner) -> QuerySet[SandboxTransaction]:
    """The partner's sandbox transactions, newest first (``sandbox_tx_partner_time_idx``); never
    a row of the live ledger."""
    return (
        SandboxTransaction.objects.filter(partner=partner)
        .select_related("product", "refund_of")
        .order_by("-occurred_at", "-id")
    )


def sandbox_transaction_for_partner(*, partner, transaction_id: int) -> SandboxTransaction:
    return sandbox_transactions_for_partner(partner=partner).get(pk=transaction_id)


EXPORT_COLUMNS = (
    "id",
    "partner__display_name",
    "partner__slug",
    "external_id",
    "scenario__name",
    "scenario__name_zh",
    "scenario_code",
    "product__name",
    "product__name_zh",
    "product__code",
    "kind",
    "amount",
    "currency",
    "occurred_at",
    "occurred_on",
    "received_at",
    "source",
    "statement_id",
)


def transaction_export_rows(rows: QuerySet[Transaction], *, chunk_size: int = 2000) -> Iterator[tuple]:
    """Rows of ``rows`` as tuples of ``EXPORT_COLUMNS``, streamed from a server-side cursor in
    chunks: memory stays flat however many there are."""
    return with_statement(rows).order_by("id").values_list(*EXPORT_COLUMNS).iterator(chunk_size=chunk_size)


def statement_with_lines(*, statement_id: int) -> Statement:
    return (
        Statement.objects.select_related("agreement", "partner")
        .prefetch_related(_lines())
        .get(pk=statement_id)
    )


def transactions_without_agreement(rows: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """``rows`` that no approved agreement of their partner's scenario covers: stored, never
    settled until one does (before an agreement starts, after one ended with no successor, or a
    scenario with none). The staff report of unsettleable transactions."""
    covering = Agreement.objects.filter(
        partner_id=OuterRef("partner_id"),
        scenario_code=OuterRef("scenario_code"),
        status__in=Agreement.IN_FORCE,
        effective_from__lte=OuterRef("occurred_on"),
    ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=OuterRef("occurred_on")))
    return rows.filter(~Exists(covering))


# --------------------------------------------------------------------------------------
# Four eyes: who made what a checker decides on (``core.four_eyes``)
# --------------------------------------------------------------------------------------
def agreement_makers(*, agreements) -> dict[int, dict[int, list[str]]]:
    """Per agreement id: who drafted it, changed its terms or submitted it for approval. None of
    them approves it. Two queries, whatever the number of agreements."""
    agreements = list(agreements)
    ids = [agreement.pk for agreement in agreements]
    makers: dict[int, dict[int, list[str]]] = {pk: {} for pk in ids}
    for agreement in agreements:
        makers_add(makers[agreement.pk], agreement.created_by_id, _("drafted it"))
    for pk, user_id in Agreement.editors.through.objects.filter(agreement_id__in=ids).values_list(
        "agreement_id", "user_id"
    ):
        makers_add(makers[pk], user_id, _("changed its terms"))
    for pk, user_id in (
        AgreementStatusChange.objects.filter(
            agreement_id__in=ids, to_status=Agreement.Status.PENDING_APPROVAL
        )
        .order_by("id")
        .values_list("agreement_id", "changed_by_id")
    ):
        makers_add(makers[pk], user_id, _("submitted it"))
    return makers


def agreement_acceptance_makers(agreement: Agreement, *, portal: bool) -> dict[int, list[str]]:
    """Who may not accept ``agreement`` for the partner. Recording a signed copy (``portal``
    false): the checker who approved and sent it — the bank's approval and the partner's
    consent are attested by different people. Accepting in the portal: also everyone who made
    it (``agreement_makers``), since nobody answers for both sides. At most two queries."""
    makers: dict[int, list[str]] = (
        {user: list(parts) for user, parts in agreement_makers(agreements=[agreement])[agreement.pk].items()}
        if portal
        else {}
    )
    makers_add(makers, agreement.approved_by_id, _("approved and sent it"))
    return makers


def statement_makers(statement: Statement) -> dict[int, list[str]]:
    """Who prepared the statement (its approver must be someone else). No query."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, statement.prepared_by_id, _("prepared it"))
    return makers


def payout_makers(statement: Statement) -> dict[int, list[str]]:
    """Who recorded the statement's payout (its confirmer must be someone else). No query."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, statement.payout_recorded_by_id, _("recorded its payout"))
    return makers


def adjustment_makers(adjustment: Adjustment) -> dict[int, list[str]]:
    """Who proposed the adjustment (its checker must be someone else). No query."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, adjustment.created_by_id, _("proposed it"))
    return makers


def dispute_makers(dispute) -> dict[int, list[str]]:
    """Who raised the dispute (nobody decides their own). No query."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, dispute.raised_by_id, _("raised it"))
    return makers
