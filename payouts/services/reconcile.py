"""Reconciliation: the bank's statement says which payouts left the account.

``bank_statement_import`` reads a camt.053 or CSV file (``payouts.bankfiles``) once — its
SHA-256 is unique, the same file again changes nothing — and records each entry with its
outcome. An entry matches a payout in payment only by its end-to-end id AND amount AND
currency: then ``payout_settle`` marks the payout paid (value date, bank reference) and the
statements it pays paid. Anything else — another amount, a return, an unknown id, a duplicate —
is listed for a person to decide (``bank_entry_decide``: accept as paid, mark returned,
dismiss; with a reason, never by whoever imported the file). Nothing is guessed.

    payout:    in_payment → paid → returned      in_payment → returned
    statement: in_payment → paid → approved      in_payment → approved   (returned: paid again later)
    batch:     released → reconciled (every payout paid or returned)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.actors import staff_may
from core.domain import Conflict, DomainError, NotAllowed
from core.fen import to_fen
from core.money import money_text
from core.transitions import transition
from partners.notifications import notify
from revenue.models import Statement, StatementStatusChange

from ..bankfiles import BankEntry, bank_file_read
from ..models import (
    BankStatementEntry,
    BankStatementImport,
    Payout,
    PayoutBatch,
    PayoutLine,
    PayoutStatusChange,
)

PStatus = Payout.Status
SStatus = Statement.Status
Outcome = BankStatementEntry.Outcome
Decision = BankStatementEntry.Decision

PAYOUT_MOVES: dict[str, frozenset[str]] = {
    PStatus.IN_PAYMENT: frozenset({PStatus.PAID, PStatus.RETURNED}),
    # The bank gives the money back after it was booked paid.
    PStatus.PAID: frozenset({PStatus.RETURNED}),
}
# The statement moves reconciliation makes (the batch's release moved them to in_payment).
STATEMENT_MOVES: dict[str, frozenset[str]] = {
    SStatus.IN_PAYMENT: frozenset({SStatus.PAID, SStatus.APPROVED}),
    SStatus.PAID: frozenset({SStatus.APPROVED}),
}
SETTLED = (PStatus.PAID, PStatus.RETURNED, PStatus.CANCELLED)
IMPORT_PERMISSION = "payouts.reconcile_bankstatement"
DECIDE_PERMISSION = "payouts.decide_bankstatemententry"


class ReconcileError(DomainError):
    """A refused reconciliation step (the message says why)."""


class ReconcileNotAllowed(NotAllowed):
    pass


class PayoutMoveInvalid(Conflict):
    code = "invalid_transition"


def _require(actor, *permissions: str, system: bool) -> None:
    """``actor`` holds one of ``permissions`` (the system only where ``system``)."""
    if not any(staff_may(actor, permission, system=system) for permission in permissions):
        raise ReconcileNotAllowed(_("You do not have permission to do this."))


def _payout_locked(payout: Payout) -> Payout:
    return Payout.objects.select_for_update().select_related("partner").get(pk=payout.pk)


# Each record's moves and change table: a payout's, a statement's.
_LOGS = {Payout: (PAYOUT_MOVES, PayoutStatusChange), Statement: (STATEMENT_MOVES, StatementStatusChange)}


def _move(record: Payout | Statement, to: str, actor, reason: str, **changes) -> None:
    moves, change_model = _LOGS[type(record)]
    transition(
        record,
        to,
        moves=moves,
        actor=actor,
        reason=reason,
        change_model=change_model,
        error=PayoutMoveInvalid,
        changes=changes,
    )


def _statements_locked(payout: Payout, *, positive: bool) -> list[Statement]:
    lines = payout.lines.all()
    if positive:
        lines = lines.filter(amount__gt=0)
    ids = list(lines.values_list("statement_id", flat=True))
    return list(Statement.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _batch_reconcile(batch_id: int) -> None:
    """The batch is reconciled once none of its payouts is still in payment."""
    if Payout.objects.filter(batch_id=batch_id).exclude(status__in=SETTLED).exists():
        return
    PayoutBatch.objects.filter(pk=batch_id, status=PayoutBatch.Status.RELEASED).update(
        status=PayoutBatch.Status.RECONCILED
    )


def _payout_params(payout: Payout, **extra) -> dict:
    return {
        "payout": payout.end_to_end_id,
        "amount": money_text(to_fen(payout.amount), payout.currency),
        **extra,
    }


@transaction.atomic
def payout_settle(
    *, payout: Payout, value_date: date, bank_reference: str, actor, reason: str = ""
) -> Payout:
    """The bank paid ``payout`` (its statement shows it): in_payment → paid with the value date
    and bank reference; each statement it pays (its positive lines) paid on that date with the
    bank reference as its payout reference. The batch is reconciled when it was the last one
    in payment; the partner is told."""
    _require(actor, IMPORT_PERMISSION, DECIDE_PERMISSION, system=True)
    if value_date is None:
        raise ReconcileError(_("Give the value date."), field="value_date")
    payout = _payout_locked(payout)
    reference = (bank_reference or "").strip()[:100] or payout.end_to_end_id
    note = reason or _("Paid on %(date)s, bank reference %(reference)s.") % {
        "date": value_date.isoformat(),
        "reference": reference,
    }
    _move(payout, PStatus.PAID, actor, note, value_date=value_date, bank_reference=reference)
    for statement in _statements_locked(payout, positive=True):
        _move(
            statement,
            SStatus.PAID,
            actor,
            _("Payout %(payout)s paid on %(date)s (bank reference %(reference)s).")
            % {"payout": payout.end_to_end_id, "date": value_date.isoformat(), "reference": reference},
            paid_on=value_date,
            payout_reference=reference,
        )
    _batch_reconcile(payout.batch_id)
    notify(
        kind="payout.paid",
        partner=payout.partner,
        target=payout,
        params=_payout_params(payout, date=value_date.isoformat()),
    )
    return payout


@transaction.atomic
def payout_return(*, payout: Payout, reason: str, actor) -> Payout:
    """The bank gave the money back: the payout is returned and every statement it carried
    (its positive and its claw-back lines) is approved again, free for a later batch; the lines
    of a returned payout count for nothing. The partner is told, with the reason."""
    _require(actor, IMPORT_PERMISSION, DECIDE_PERMISSION, system=True)
    reason = (reason or "").strip()
    if not reason:
        raise ReconcileError(_("Say why the payout is returned."), field="reason")
    payout = _payout_locked(payout)
    _move(payout, PStatus.RETURNED, actor, reason)
    # Its lines no longer hold their statements: a later batch takes the statements owed again,
    # and what the lines took of a claw-back is owed again too (no money moved).
    PayoutLine.objects.filter(payout=payout).update(live=False)
    for statement in _statements_locked(payout, positive=False):
        if statement.status not in STATEMENT_MOVES:
            continue
        _move(
            statement,
            SStatus.APPROVED,
            actor,
            _("Payout %(payout)s returned by the bank: %(reason)s")
            % {"payout": payout.end_to_end_id, "reason": reason},
            paid_on=None,
            payout_reference="",
        )
    _batch_reconcile(payout.batch_id)
    notify(
        kind="payout.returned",
        partner=payout.partner,
        target=payout,
        params=_payout_params(payout, reason=reason),
    )
    return payout


# Import ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    """The import of a file; ``already``: this file was imported before and nothing changed."""

    statement_import: BankStatementImport
    already: bool


def file_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def bank_statement_import(*, content: bytes, filename: str, actor) -> ImportResult:
    """Import a bank statement file and reconcile it (see the module's docstring). A file read
    before is answered with its earlier import (``already``); an unreadable one raises
    ``BankFileError`` and writes nothing."""
    _require(actor, IMPORT_PERMISSION, system=True)
    digest = file_sha256(content)
    earlier = BankStatementImport.objects.filter(sha256=digest).first()
    if earlier is not None:
        return ImportResult(earlier, already=True)
    parsed = bank_file_read(content, filename=filename)
    try:
        with transaction.atomic():
            statement_import = BankStatementImport.objects.create(
                sha256=digest,
                filename=(filename or "")[-255:],
                file_format=parsed.file_format,
                statement_id=parsed.statement_id,
                imported_by=actor,
                entry_count=len(parsed.entries),
            )
            _entries_reconcile(statement_import, parsed.entries, actor)
    except IntegrityError:
        # The same file imported at the same moment: the other import won.
        earlier = BankStatementImport.objects.filter(sha256=digest).first()
        if earlier is None:
            raise
        return ImportResult(earlier, already=True)
    return ImportResult(statement_import, already=False)


def _entries_reconcile(statement_import: BankStatementImport, entries: list[BankEntry], actor) -> None:
    ids = {e.end_to_end_id for e in entries if e.end_to_end_id}
    payouts = {p.end_to_end_id: p for p in Payout.objects.filter(end_to_end_id__in=ids)}
    # Entries of earlier files for the same payment (same id and bank reference): duplicates.
    seen = set(
        BankStatementEntry.objects.filter(end_to_end_id__in=ids)
        .exclude(bank_reference="")
        .values_list("end_to_end_id", "bank_reference", "debit")
    )
    matched_count, matched_amount, exceptions = 0, [], 0
    for position, entry in enumerate(entries, start=1):
        payout = payouts.get(entry.end_to_end_id) if entry.end_to_end_id else None
        key = (entry.end_to_end_id, entry.bank_reference, entry.debit)
        outcome, note = _outcome(entry, payout, duplicate=bool(entry.bank_reference) and key in seen)
        if entry.bank_reference and entry.end_to_end_id:
            seen.add(key)
        row = BankStatementEntry.objects.create(
            statement_import=statement_import,
            position=position,
            end_to_end_id=entry.end_to_end_id,
            amount=entry.amount,
            currency=entry.currency,
            debit=entry.debit,
            booked=entry.booked,
            reversal=entry.reversal,
            booking_date=entry.booking_date,
            value_date=entry.value_date,
            bank_reference=entry.bank_reference,
            return_reason=entry.return_reason,
            payout=payout,
            outcome=outcome,
            note=note,
        )
        if outcome == Outcome.MATCHED:
            payout_settle(
                payout=payout,
                value_date=entry.value_date or entry.booking_date,
                bank_reference=entry.bank_reference,
                actor=actor,
            )
            payout.status = PStatus.PAID
            matched_count += 1
            matched_amount.append(entry.amount)
        elif row.is_open:
            exceptions += 1
    BankStatementImport.objects.filter(pk=statement_import.pk).update(
        matched_count=matched_count,
        matched_amount=to_fen(sum(matched_amount, Decimal("0"))),
        exception_count=exceptions,
    )
    statement_import.refresh_from_db()


def _outcome(entry: BankEntry, payout: Payout | None, *, duplicate: bool) -> tuple[str, str]:
    """What the entry is, and a note in no language (an English message id) saying why."""
    if not entry.booked:
        return Outcome.IGNORED, gettext_noop("Not booked yet: a later statement books it.")
    if entry.returned:
        if payout is None:
            return Outcome.UNKNOWN, gettext_noop("A return of a payment that is not one of our payouts.")
        if duplicate or payout.status not in PAYOUT_MOVES:
            return Outcome.DUPLICATE, gettext_noop("The payout is already returned or not in payment.")
        return Outcome.RETURNED, gettext_noop("The bank returned this payout.")
    if not entry.debit:
        return Outcome.IGNORED, gettext_noop("Money received: not a payout.")
    if payout is None:
        return Outcome.UNKNOWN, gettext_noop("No payout has this end-to-end id.")
    if duplicate or payout.status == PStatus.PAID:
        return Outcome.DUPLICATE, gettext_noop("The payout is already paid: this entry is seen twice.")
    if payout.status != PStatus.IN_PAYMENT:
        return Outcome.UNKNOWN, gettext_noop("The payout is not in payment.")
    if entry.amount != payout.amount or entry.currency != payout.currency:
        return Outcome.AMOUNT_DIFFERS, gettext_noop("The amount or currency is not the payout's.")
    return Outcome.MATCHED, ""


# Decisions ---------------------------------------------------------------------------------


def open_exceptions():
    """The entries waiting for a person's decision, oldest first."""
    return (
        BankStatementEntry.objects.filter(outcome__in=BankStatementEntry.EXCEPTIONS, decision=Decision.OPEN)
        .select_related("statement_import", "payout__partner")
        .order_by("statement_import__imported_at", "statement_import_id", "position")
    )


@transaction.atomic
def bank_entry_decide(*, entry: BankStatementEntry, decision: str, reason: str, actor) -> BankStatementEntry:
    """A person decides an open entry, with a reason: ``accepted`` (the payout is paid with
    the entry's value date and bank reference, whatever the amount said), ``returned`` (the
    payout is returned: ``payout_return``) or ``dismissed`` (nothing changes). Never whoever
    imported the file (four eyes), never the system."""
    _require(actor, DECIDE_PERMISSION, system=False)
    reason = (reason or "").strip()
    if not reason:
        raise ReconcileError(_("Give the reason for your decision."), field="reason")
    entry = BankStatementEntry.objects.select_for_update().select_related("statement_import").get(pk=entry.pk)
    if not entry.is_open:
        raise ReconcileError(_("This entry is not waiting for a decision."), field="decision")
    if entry.statement_import.imported_by_id == actor.pk:
        raise ReconcileNotAllowed(
            _("Maker-checker: an entry of a file you imported is decided by someone else.")
        )
    if decision in (Decision.ACCEPTED, Decision.RETURNED) and entry.payout_id is None:
        raise ReconcileError(
            _("This entry names no payout of ours: it can only be dismissed."), field="decision"
        )
    if decision == Decision.ACCEPTED and entry.outcome == Outcome.RETURNED:
        raise ReconcileError(
            _("A returned payment is not accepted as paid: mark it returned or dismiss it."), field="decision"
        )
    if decision == Decision.ACCEPTED:
        payout_settle(
            payout=entry.payout,
            value_date=entry.value_date or entry.booking_date,
            bank_reference=entry.bank_reference,
            actor=actor,
            reason=_("Accepted as paid from the bank statement: %(reason)s") % {"reason": reason},
        )
    elif decision == Decision.RETURNED:
        payout_return(payout=entry.payout, reason=reason, actor=actor)
    elif decision != Decision.DISMISSED:
        raise ReconcileError(_("Choose accept, returned or dismiss."), field="decision")
    entry.decision, entry.decided_by, entry.decided_at = decision, actor, timezone.now()
    entry.decision_reason = reason
    entry.save(update_fields=["decision", "decided_by", "decided_at", "decision_reason"])
    return entry
