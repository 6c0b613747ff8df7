"""Payout batches: built by a finance maker, released by someone else, or cancelled while a draft.

Building (``payout_batch_build``) takes, per partner, its approved statements with a positive
total (share + adjustments) that may be paid — a payee account in force, a verified VAT invoice
unless waived, not in a live batch — and nets its unpaid claw-backs (approved statements with a
negative total, less what live batches already took) against them, oldest first, each taking at
most what is still owed. Every statement counted is a ``PayoutLine``; a partner whose net is
positive gets one ``Payout`` of exactly its lines' sum; a partner whose claw-backs ate all it
was owed gets no payment — its lines stay (``payout`` empty) and what the claw-back did not take
carries forward. The money story (docs/payouts.md, and the property test): over all live
batches, paid − claw-back still open = the sum of the statements' totals.

Releasing (``payout_batch_release``) moves statements approved → in_payment (a payment carries
them) or approved → paid (settled by netting alone: the statements of a partner paid nothing,
and every claw-back its live lines have now taken in full), the payments pending → in_payment,
fixes the file's creation time and tells the partners. Cancelling a draft frees its lines.

    draft → released → reconciled
      ↘ cancelled
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import staff_may
from core.four_eyes import maker_parts, may_check
from core.money import money_text
from partners.models import Partner
from partners.notifications import notify
from revenue.models import Statement
from revenue.services import statement_payout_move

from ..exceptions import PayoutError, PayoutMakerChecker, PayoutNotAllowed, PayoutStatusMoveInvalid
from ..models import Payout, PayoutBatch, PayoutLine
from ..selectors import (
    batch_makers,
    invoice_waived,
    payee_account_in_force,
    statements_in_live_batches,
    statements_with_invoice,
)

ZERO = Decimal("0.00")
CURRENCY = re.compile(r"[A-Z]{3}")
# ISO 20022 ids: at most 35 characters; these use A–Z and 0–9 only (safe in every bank's set).
MESSAGE_ID = "FNB{batch:010d}"
END_TO_END_ID = "FNB{batch:010d}P{partner:010d}{currency}"
# The reference of a statement settled by netting (no payment carries it).
NETTED_REFERENCE = "NETTED {message_id}"
BS = PayoutBatch.Status
SS = Statement.Status


def _require(actor, permission: str) -> None:
    if not staff_may(actor, permission):
        raise PayoutNotAllowed(_("You do not have permission to do this."))


def statement_total(statement: Statement) -> Decimal:
    """What a statement owes the partner (negative: what the partner owes back)."""
    return statement.share_amount + statement.adjustment_amount


@dataclass
class PartnerNetting:
    """One partner's netting in a batch: the statements paid whole, the claw-back takes (as
    positive amounts), and the net paid (zero: nothing paid)."""

    partner: Partner
    positives: list[Statement] = field(default_factory=list)
    takes: list[tuple[Statement, Decimal]] = field(default_factory=list)

    @property
    def owed(self) -> Decimal:
        return sum((statement_total(s) for s in self.positives), ZERO)

    @property
    def net(self) -> Decimal:
        return self.owed - sum((amount for _s, amount in self.takes), ZERO)


def netting(
    positives: list[Statement], clawbacks: list[tuple[Statement, Decimal]]
) -> list[tuple[Statement, Decimal]]:
    """The takes of ``clawbacks`` (each with what is still open, > 0), oldest first, from what
    ``positives`` owe: each takes at most what is still owed, so the net is never negative."""
    owed = sum((statement_total(s) for s in positives), ZERO)
    takes = []
    for clawback, open_amount in clawbacks:
        take = min(open_amount, owed)
        if take <= 0:
            break
        takes.append((clawback, take))
        owed -= take
    return takes


def _ordered(statements):
    return sorted(statements, key=lambda s: (s.period_start, s.pk))


def _refuse_ids(refused: dict[int, str]) -> None:
    if refused:
        raise PayoutError(
            _("These statements cannot be paid in this batch: %(list)s")
            % {"list": "; ".join(f"#{pk}: {why}" for pk, why in sorted(refused.items()))},
            field="statement_ids",
        )


@transaction.atomic
def payout_batch_build(
    *, actor, currency: str, requested_execution_date: date, statement_ids=None
) -> PayoutBatch:
    """Build a draft batch in ``currency`` (see the module). ``statement_ids``: pay only these
    positive statements (each must be payable, else nothing is built and the refusal names
    each and why); the partners' claw-backs are netted all the same. The statements are locked
    (``select_for_update``, in id order) so two makers never batch one statement twice; the
    database refuses it too (``payout_line_statement_paid_once``)."""
    _require(actor, "payouts.build_payoutbatch")
    currency = (currency or "").strip().upper()
    if not CURRENCY.fullmatch(currency):
        raise PayoutError(_("Give the currency as three letters (CNY)."), field="currency")
    if not isinstance(requested_execution_date, date):
        raise PayoutError(_("Give the requested execution date."), field="requested_execution_date")
    if requested_execution_date < timezone.localdate():
        raise PayoutError(
            _("The requested execution date cannot be in the past."), field="requested_execution_date"
        )
    wanted = None
    if statement_ids is not None:
        try:
            wanted = {int(pk) for pk in statement_ids}
        except (TypeError, ValueError):
            raise PayoutError(_("Statement ids are whole numbers."), field="statement_ids") from None
        if not wanted:
            raise PayoutError(_("Choose at least one statement."), field="statement_ids")

    # Every approved statement of the currency, locked in id order; read again under the lock.
    statements = list(
        Statement.objects.select_for_update(of=("self",))
        .select_related("partner")
        .filter(status=SS.APPROVED, currency=currency)
        .order_by("pk")
    )
    batched, taken = statements_in_live_batches(statement_ids=[s.pk for s in statements])
    positives = [s for s in statements if statement_total(s) > 0 and s.pk not in batched]
    refused: dict[int, str] = {}
    if wanted is not None:
        known = {s.pk: s for s in Statement.objects.filter(pk__in=wanted)}
        for pk in sorted(wanted):
            statement = known.get(pk)
            if statement is None:
                refused[pk] = _("no such statement")
            elif statement.currency != currency:
                refused[pk] = _("in %(currency)s") % {"currency": statement.currency}
            elif statement.status != SS.APPROVED:
                refused[pk] = _("not approved (%(status)s)") % {"status": statement.get_status_display()}
            elif statement_total(statement) <= 0:
                refused[pk] = _("nothing owed to the partner")
            elif pk in batched:
                refused[pk] = _("already in a live batch")
        positives = [s for s in positives if s.pk in wanted]

    now = timezone.now()
    accounts = {}
    for partner_id in sorted({s.partner_id for s in positives}):
        accounts[partner_id] = payee_account_in_force(partner_id=partner_id, currency=currency, at=now)
    invoiced = statements_with_invoice(statement_ids=[s.pk for s in positives])
    groups: dict[int, PartnerNetting] = {}
    for statement in positives:
        if accounts[statement.partner_id] is None:
            refused.setdefault(statement.pk, _("no verified payee account in force"))
            continue
        if statement.pk not in invoiced and not invoice_waived(partner=statement.partner):
            refused.setdefault(statement.pk, _("no verified VAT invoice"))
            continue
        groups.setdefault(statement.partner_id, PartnerNetting(partner=statement.partner)).positives.append(
            statement
        )
    if wanted is not None:
        _refuse_ids(refused)
    if not groups:
        raise PayoutError(
            _(
                "No statement in %(currency)s is ready to pay: approved, owed to the partner, with a "
                "payee account in force and a verified invoice (unless waived), and in no live batch."
            )
            % {"currency": currency},
            field="currency",
        )

    clawbacks = defaultdict(list)
    for statement in _ordered(s for s in statements if statement_total(s) < 0):
        open_amount = -statement_total(statement) - taken.get(statement.pk, ZERO)
        if open_amount > 0:
            clawbacks[statement.partner_id].append((statement, open_amount))

    batch = PayoutBatch.objects.create(
        currency=currency,
        requested_execution_date=requested_execution_date,
        message_id=f"new-{uuid.uuid4().hex[:30]}",
        created_by=actor,
    )
    batch.message_id = MESSAGE_ID.format(batch=batch.pk)
    lines: list[PayoutLine] = []
    total, count = ZERO, 0
    for partner_id in sorted(groups):
        group = groups[partner_id]
        group.positives = _ordered(group.positives)
        group.takes = netting(group.positives, clawbacks[partner_id])
        payout = None
        if group.net > 0:
            payout = Payout.objects.create(
                batch=batch,
                partner=group.partner,
                payee_account=accounts[partner_id],
                currency=currency,
                amount=group.net,
                end_to_end_id=END_TO_END_ID.format(batch=batch.pk, partner=partner_id, currency=currency),
            )
            total += group.net
            count += 1
        counted = [(s, statement_total(s)) for s in group.positives] + [(s, -a) for s, a in group.takes]
        for position, (statement, amount) in enumerate(counted):
            lines.append(
                PayoutLine(
                    batch=batch,
                    payout=payout,
                    partner_id=partner_id,
                    statement=statement,
                    amount=amount,
                    position=position,
                )
            )
    PayoutLine.objects.bulk_create(lines)
    batch.payment_count, batch.total_amount = count, total
    batch.save(update_fields=["message_id", "payment_count", "total_amount"])
    return batch


def _locked_batch(batch: PayoutBatch) -> PayoutBatch:
    return PayoutBatch.objects.select_for_update().get(pk=batch.pk)


@transaction.atomic
def payout_batch_release(*, batch: PayoutBatch, actor, reason: str = "") -> PayoutBatch:
    """A checker who did not build the batch — superuser or not — releases it (see the module).
    Two releases of one batch: the second finds it released and is refused. ``reason``: a note
    kept on the statements' change rows."""
    _require(actor, "payouts.release_payoutbatch")
    batch = _locked_batch(batch)
    makers = batch_makers(batch)
    if not may_check(actor, makers):
        raise PayoutMakerChecker(
            _(
                "Maker-checker: a payout batch must be released by someone other than its maker "
                "(you %(parts)s)."
            )
            % {"parts": ", ".join(maker_parts(actor, makers))}
        )
    if batch.status != BS.DRAFT:
        raise PayoutStatusMoveInvalid(
            _("Only a draft batch is released; this one is “%(status)s”.")
            % {"status": batch.get_status_display()},
            field="status",
        )
    lines = list(batch.lines.select_related("payout").order_by("partner_id", "position"))
    statements = {
        s.pk: s
        for s in Statement.objects.select_for_update()
        .select_related("partner")
        .filter(pk__in=[line.statement_id for line in lines])
        .order_by("pk")
    }
    moved = sorted(pk for pk, s in statements.items() if s.status != SS.APPROVED)
    if moved:
        raise PayoutStatusMoveInvalid(
            _(
                "Statements %(list)s are no longer approved (paid by hand?): cancel this batch and "
                "build another."
            )
            % {"list": ", ".join(f"#{pk}" for pk in moved)},
            field="status",
        )
    now = timezone.now().replace(microsecond=0)
    netted = NETTED_REFERENCE.format(message_id=batch.message_id)
    note = f" {reason.strip()}" if (reason or "").strip() else ""
    # A claw-back is settled once the released batches' lines (this one's included) took it all.
    _batched, taken = statements_in_live_batches(
        statement_ids=[line.statement_id for line in lines if line.amount < 0], released_with=batch
    )
    for line in lines:
        statement = statements[line.statement_id]
        if line.amount > 0 and line.payout_id is not None:
            statement_payout_move(
                statement=statement,
                to=SS.IN_PAYMENT,
                actor=actor,
                reason=_("In payment: %(id)s.") % {"id": line.payout.end_to_end_id} + note,
            )
        elif line.amount > 0 or taken.get(statement.pk, ZERO) == -statement_total(statement):
            statement_payout_move(
                statement=statement,
                to=SS.PAID,
                actor=actor,
                reason=_("Settled by netting in batch %(batch)s.") % {"batch": batch.message_id} + note,
                paid_on=timezone.localdate(now),
                payout_reference=netted,
            )
    Payout.objects.filter(batch=batch).update(status=Payout.Status.IN_PAYMENT)
    batch.status, batch.released_by, batch.released_at = BS.RELEASED, actor, now
    batch.save(update_fields=["status", "released_by", "released_at"])
    _notify_partners(batch, lines)
    return batch


def _notify_partners(batch: PayoutBatch, lines: list[PayoutLine]) -> None:
    by_partner: dict[int, list[PayoutLine]] = defaultdict(list)
    for line in lines:
        by_partner[line.partner_id].append(line)
    for partner_lines in by_partner.values():
        payout = partner_lines[0].payout
        statements = ", ".join(f"#{line.statement_id}" for line in partner_lines if line.amount > 0)
        clawed = -sum((line.amount for line in partner_lines if line.amount < 0), ZERO)
        partner = partner_lines[0].statement.partner
        if payout is not None:
            notify(
                kind="payout.released",
                partner=partner,
                target=payout,
                params={
                    "amount": money_text(payout.amount, payout.currency),
                    "date": batch.requested_execution_date.isoformat(),
                    "reference": payout.end_to_end_id,
                    "statements": statements,
                    "netted": money_text(clawed, batch.currency),
                },
            )
        else:
            notify(
                kind="payout.netted",
                partner=partner,
                target=batch,
                params={"statements": statements, "netted": money_text(clawed, batch.currency)},
            )


@transaction.atomic
def payout_batch_cancel(*, batch: PayoutBatch, actor, reason: str = "") -> PayoutBatch:
    """Cancel a draft batch: its lines are freed (its statements and claw-backs can go in the
    next batch), its payments cancelled; ids are never reused."""
    _require(actor, "payouts.build_payoutbatch")
    batch = _locked_batch(batch)
    if batch.status != BS.DRAFT:
        raise PayoutStatusMoveInvalid(
            _("Only a draft batch is cancelled; this one is “%(status)s”.")
            % {"status": batch.get_status_display()},
            field="status",
        )
    PayoutLine.objects.filter(batch=batch).update(live=False)
    Payout.objects.filter(batch=batch).update(status=Payout.Status.CANCELLED)
    batch.status, batch.cancelled_by, batch.cancelled_at = BS.CANCELLED, actor, timezone.now()
    batch.cancel_reason = (reason or "").strip()
    batch.save(update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason"])
    return batch
