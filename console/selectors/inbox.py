"""The approvals inbox: everything waiting for a staff decision, with its maker.

Each kind is one query (the maker comes along by join or subquery) plus, where an object has
more makers than the one shown (a partner's reviewers and verifiers, an agreement's editors and
submitters), a fixed number of queries for all its rows, so the page costs the same whatever is
waiting. Each row offers the viewer only the decisions they may take (``decision_refusal``):
their permission, and four eyes — a maker of the object never decides it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.four_eyes import Makers, maker_parts, makers_add
from core.money import money_text
from partners.models import Partner, PartnerStatusChange
from partners.selectors import partner_makers
from payouts.models import PayeeAccount, VatInvoice
from payouts.services import invoice_makers, payee_account_makers
from revenue.models import Adjustment, Agreement, Dispute, Statement
from revenue.selectors import (
    adjustment_makers,
    agreement_makers,
    dispute_makers,
    payout_makers,
    statement_makers,
)
from scenarios.models import Participation

from ..links import changelist


def _statement_title(statement) -> str:
    return f"{statement.partner} · {statement.agreement.scenario.local_name} · {_period(statement)}"


INBOX_SHOWN = 100  # per kind; the link leads to the full list in the admin


@dataclass(frozen=True)
class Decision:
    """One decision an item offers: who may take it (``permission``) and whether every maker of
    the object is barred from it (``four_eyes``) or only the maker the inbox shows."""

    name: str
    label: str
    permission: str
    reason_required: bool = False
    danger: bool = False
    four_eyes: bool = True


REVIEW_PARTNER = "partners.review_partner"
DECIDE_PARTICIPATION = "scenarios.decide_participation"
APPROVE_AGREEMENT = "revenue.approve_agreement"
APPROVE_STATEMENT = "revenue.approve_statement"
CONFIRM_PAYOUT = "revenue.confirm_statement_payout"
APPROVE_ADJUSTMENT = "revenue.approve_adjustment"
RESOLVE_DISPUTE = "revenue.resolve_dispute"
VERIFY_PAYEE = "payouts.verify_payeeaccount"
REVIEW_INVOICE = "payouts.review_vatinvoice"

# The decisions each kind offers, per status of the item.
PARTNER_DECISIONS = {
    # Whoever verified a document may still start the review or reject; never approve.
    Partner.Status.SUBMITTED: (Decision("start_review", _("Start review"), REVIEW_PARTNER, four_eyes=False),),
    Partner.Status.UNDER_REVIEW: (
        Decision("approve", _("Approve"), REVIEW_PARTNER),
        Decision("reject", _("Reject"), REVIEW_PARTNER, reason_required=True, danger=True, four_eyes=False),
    ),
}
PARTICIPATION_DECISIONS = {
    Participation.Status.REQUESTED: (
        Decision("approve", _("Approve"), DECIDE_PARTICIPATION),
        Decision("decline", _("Decline"), DECIDE_PARTICIPATION, danger=True),
    ),
}


AGREEMENT_DECISIONS = {
    Agreement.Status.PENDING_APPROVAL: (
        Decision("approve", _("Approve"), APPROVE_AGREEMENT),
        # Sending back is not approving: only the drafter is barred (as ``agreement_return``).
        Decision(
            "return", _("Send back"), APPROVE_AGREEMENT, reason_required=True, danger=True, four_eyes=False
        ),
    ),
}
# Waiting for the partner, not for staff: no decision here. The agreement's admin page records
# a signed acceptance (never by the checker who sent it) or takes it back to a draft.
AGREEMENT_SENT_DECISIONS: dict[str, tuple[Decision, ...]] = {Agreement.Status.SENT: ()}
STATEMENT_DECISIONS = {Statement.Status.DRAFT: (Decision("approve", _("Approve"), APPROVE_STATEMENT),)}
PAYOUT_DECISIONS = {
    Statement.Status.RECORDED: (
        Decision("confirm", _("Confirm the payout"), CONFIRM_PAYOUT),
        Decision("send_back", _("Send back"), CONFIRM_PAYOUT, reason_required=True, danger=True),
    )
}
ADJUSTMENT_DECISIONS = {
    Adjustment.Status.PENDING_APPROVAL: (
        Decision("approve", _("Approve"), APPROVE_ADJUSTMENT),
        Decision("reject", _("Reject"), APPROVE_ADJUSTMENT, reason_required=True, danger=True),
    ),
}
DISPUTE_DECISIONS = {
    Dispute.Status.OPEN: (
        Decision("reject", _("Reject"), RESOLVE_DISPUTE, reason_required=True, danger=True),
    )
}

# Payee accounts: whoever entered one (partner member or staff) never decides it. A name other
# than the legal name is verified only with the verifier's reason (the service asks for it).
PAYEE_DECISIONS = {
    PayeeAccount.Status.PENDING: (
        Decision("verify", _("Verify"), VERIFY_PAYEE),
        Decision("reject", _("Reject"), VERIFY_PAYEE, reason_required=True, danger=True),
    ),
}
INVOICE_DECISIONS = {
    VatInvoice.Status.SUBMITTED: (
        Decision("verify", _("Verify"), REVIEW_INVOICE),
        Decision("reject", _("Reject"), REVIEW_INVOICE, reason_required=True, danger=True),
    ),
}


@dataclass
class InboxItem:
    kind: str
    pk: int | str
    title: str
    detail: str
    status_label: str
    maker_id: int | None
    maker: str
    since: object
    admin_url: str
    decisions: tuple[Decision, ...] = field(default_factory=tuple)
    # Everyone who made the object: user id → the parts they played.
    makers: Makers = field(default_factory=dict)
    # For the viewer: the decisions they may take, and why a maker is offered fewer (or none).
    offered: tuple[Decision, ...] = field(default_factory=tuple)
    refusal: str = ""


def barring_parts(item: InboxItem, decision: Decision, user) -> list[str]:
    """What ``user`` made of ``item`` that bars them from ``decision`` (empty when four eyes
    allow it). Permissions are the owning service's to check."""
    parts = maker_parts(user, item.makers)
    return parts if parts and (decision.four_eyes or user.pk == item.maker_id) else []


def decision_refusal(item: InboxItem, decision: Decision, user) -> str:
    """The note a maker sees instead of the decision ("" when they may take it)."""
    parts = barring_parts(item, decision, user)
    if not parts:
        return ""
    return gettext("You made this request (you %(parts)s): another staff member decides it.") % {
        "parts": ", ".join(parts)
    }


def _offer(item: InboxItem, user) -> InboxItem:
    """Fill in what ``user`` is offered: decisions they hold the permission for and did not make."""
    allowed = [d for d in item.decisions if user.has_perm(d.permission)]
    refusals = [decision_refusal(item, d, user) for d in allowed]
    item.offered = tuple(d for d, refusal in zip(allowed, refusals, strict=True) if not refusal)
    item.refusal = next((r for r in refusals if r), "")
    return item


def _submitted_by() -> QuerySet[PartnerStatusChange]:
    return PartnerStatusChange.objects.filter(
        partner=OuterRef("pk"), to_status=Partner.Status.SUBMITTED
    ).order_by("-changed_at", "-id")


def partner_reviews() -> QuerySet[Partner]:
    """Applications submitted or under review, oldest first; the maker is whoever submitted."""
    latest = _submitted_by()
    return (
        Partner.objects.filter(status__in=list(PARTNER_DECISIONS))
        .select_related("industry")
        .annotate(
            maker_id=Subquery(latest.values("changed_by_id")[:1]),
            maker_email=Subquery(latest.values("changed_by__email")[:1]),
            submitted_at=Subquery(latest.values("changed_at")[:1]),
        )
        .order_by("submitted_at", "pk")
    )


def agreements_pending() -> QuerySet[Agreement]:
    """Agreements a checker must approve; the maker is who drafted them."""
    return (
        Agreement.objects.filter(status__in=list(AGREEMENT_DECISIONS))
        .select_related("partner", "scenario", "created_by")
        .order_by("created_at", "pk")
    )


def agreements_sent() -> QuerySet[Agreement]:
    """Agreements approved and sent, waiting for the partner's acceptance; oldest first."""
    return (
        Agreement.objects.filter(status__in=list(AGREEMENT_SENT_DECISIONS))
        .select_related("partner", "scenario", "approved_by")
        .order_by("approved_at", "pk")
    )


def _sender(agreement: Agreement) -> Makers:
    makers: dict[int, list[str]] = {}
    makers_add(makers, agreement.approved_by_id, gettext("approved and sent it"))
    return makers


def statements_pending() -> QuerySet[Statement]:
    """Draft statements a finance maker prepared, waiting for a checker."""
    return (
        Statement.objects.filter(status__in=list(STATEMENT_DECISIONS), prepared_by__isnull=False)
        .select_related("partner", "agreement__scenario", "prepared_by")
        .order_by("prepared_at", "pk")
    )


def payouts_recorded() -> QuerySet[Statement]:
    """Statements whose payout a finance maker recorded, waiting for a second person."""
    return (
        Statement.objects.filter(status__in=list(PAYOUT_DECISIONS))
        .select_related("partner", "agreement__scenario", "payout_recorded_by")
        .order_by("payout_recorded_at", "pk")
    )


def adjustments_pending() -> QuerySet[Adjustment]:
    """Share adjustments (resolving disputes, or manual) waiting for a checker."""
    return (
        Adjustment.objects.filter(status__in=list(ADJUSTMENT_DECISIONS))
        .select_related("agreement__partner", "created_by")
        .order_by("created_at", "pk")
    )


def disputes_open() -> QuerySet[Dispute]:
    """Partners' disputes nobody has proposed a resolution for yet."""
    return (
        Dispute.objects.filter(status__in=list(DISPUTE_DECISIONS))
        .select_related("partner", "raised_by", "line__statement")
        .order_by("raised_at", "pk")
    )


def participation_requests() -> QuerySet[Participation]:
    """Partners' requests to join a scenario, oldest first; the maker is the requester."""
    return (
        Participation.objects.filter(status__in=list(PARTICIPATION_DECISIONS))
        .select_related("partner", "scenario", "requested_by")
        .order_by("requested_at", "pk")
    )


def payee_accounts_pending() -> QuerySet[PayeeAccount]:
    """New or changed payee accounts waiting for verification, oldest first."""
    return (
        PayeeAccount.objects.filter(status__in=list(PAYEE_DECISIONS))
        .select_related("partner", "submitted_by")
        .order_by("submitted_at", "pk")
    )


def invoices_submitted() -> QuerySet[VatInvoice]:
    """VAT invoices waiting for verification, oldest first."""
    return (
        VatInvoice.objects.filter(status__in=list(INVOICE_DECISIONS))
        .select_related("partner", "statement", "submitted_by")
        .order_by("submitted_at", "pk")
    )


def _payee_detail(account: PayeeAccount) -> str:
    detail = f"{account.account_name} · {account.branch_name} · {account.cnaps_code}"
    if account.name_mismatch_reason:
        detail += " · " + gettext("name differs from the legal name: %(reason)s") % {
            "reason": account.name_mismatch_reason
        }
    return detail


@dataclass
class InboxSection:
    kind: str
    label: str
    items: list[InboxItem]
    link: str


def _made_by(field_name: str) -> Callable[[Any], tuple[int | None, str | None]]:
    """The maker as (id, e-mail) from a user foreign key the row's query selected."""

    def maker(row) -> tuple[int | None, str | None]:
        user = getattr(row, field_name)
        return getattr(row, f"{field_name}_id"), user.email if user else None

    return maker


def _each(makers_of: Callable[[Any], Makers]) -> Callable[[list], dict]:
    """Makers of rows whose makers are on the row itself (no query)."""
    return lambda rows: {row.pk: makers_of(row) for row in rows}


def _requester(participation: Participation) -> Makers:
    makers: dict[int, list[str]] = {}
    makers_add(makers, participation.requested_by_id, gettext("asked for it"))
    return makers


@dataclass(frozen=True)
class InboxKind:
    """One kind of pending item: the query behind it, what each row shows, and who made each
    (``makers`` of a list of rows, by primary key: a fixed number of queries)."""

    kind: str
    label: str
    rows: Callable[[], QuerySet]
    decisions: Mapping[str, tuple[Decision, ...]]
    title: Callable[[Any], str]
    detail: Callable[[Any], str]
    maker: Callable[[Any], tuple[int | None, str | None]]
    since: Callable[[Any], object]
    makers: Callable[[list], Mapping[Any, Makers]]

    def items(self, *, user=None) -> list[InboxItem]:
        """The oldest ``INBOX_SHOWN`` rows: one query, the maker joined in; with ``user``, what
        each row offers them."""
        rows = list(self.rows()[:INBOX_SHOWN])
        makers = self.makers(rows)
        items = [self._item(row, makers[row.pk]) for row in rows]
        return [_offer(item, user) for item in items] if user is not None else items

    def get(self, pk) -> tuple[Any, InboxItem]:
        """One pending row and its item (``DoesNotExist`` when it no longer waits)."""
        row = self.rows().get(pk=pk)
        return row, self._item(row, self.makers([row])[row.pk])

    def link(self) -> str:
        """The admin changelist filtered to the statuses this kind decides on."""
        opts = self.rows().model._meta
        statuses = list(self.decisions)
        if len(statuses) == 1:
            return changelist(opts.app_label, opts.model_name, status__exact=statuses[0])
        return changelist(opts.app_label, opts.model_name, status__in=",".join(statuses))

    def _item(self, row, makers: Makers) -> InboxItem:
        maker_id, maker_email = self.maker(row)
        return InboxItem(
            kind=self.kind,
            pk=row.pk,
            title=self.title(row),
            detail=self.detail(row),
            status_label=row.get_status_display(),
            maker_id=maker_id,
            maker=maker_email or "—",
            since=self.since(row),
            admin_url=_admin_change(f"{row._meta.app_label}_{row._meta.model_name}", row.pk),
            decisions=self.decisions[row.status],
            makers=makers,
        )


def _admin_change(app_model: str, pk) -> str:
    try:
        return reverse(f"admin:{app_model}_change", args=[pk])
    except NoReverseMatch:
        return ""


def _period(statement: Statement) -> str:
    return f"{statement.period_start}–{statement.period_end}"


# The inbox's sections, in page order.
INBOX_KINDS: tuple[InboxKind, ...] = (
    InboxKind(
        kind="partner",
        label=_("Partner reviews"),
        rows=partner_reviews,
        decisions=PARTNER_DECISIONS,
        title=attrgetter("display_name"),
        detail=lambda p: f"{p.industry} · {p.credit_code}",
        maker=attrgetter("maker_id", "maker_email"),
        since=attrgetter("submitted_at"),
        makers=lambda rows: partner_makers(partners=rows),
    ),
    InboxKind(
        kind="participation",
        label=_("Participation requests"),
        rows=participation_requests,
        decisions=PARTICIPATION_DECISIONS,
        title=lambda p: f"{p.partner} → {p.scenario}",
        detail=lambda p: p.get_channel_display() + (f" · {p.note}" if p.note else ""),
        maker=_made_by("requested_by"),
        since=attrgetter("requested_at"),
        makers=_each(_requester),
    ),
    InboxKind(
        kind="agreement",
        label=_("Agreements pending approval"),
        rows=agreements_pending,
        decisions=AGREEMENT_DECISIONS,
        title=lambda a: f"{a.partner} · {a.scenario.local_name}",
        detail=lambda a: f"{a.get_model_display()} · {a.get_cycle_display()} · {a.effective_from}",
        maker=_made_by("created_by"),
        since=attrgetter("created_at"),
        makers=lambda rows: agreement_makers(agreements=rows),
    ),
    InboxKind(
        kind="agreement_sent",
        label=_("Agreements awaiting the partner's acceptance"),
        rows=agreements_sent,
        decisions=AGREEMENT_SENT_DECISIONS,
        title=lambda a: f"{a.partner} · {a.scenario.local_name}",
        detail=lambda a: f"{a.get_model_display()} · {a.get_cycle_display()} · {a.effective_from}",
        maker=_made_by("approved_by"),
        since=attrgetter("approved_at"),
        makers=_each(_sender),
    ),
    InboxKind(
        kind="statement",
        label=_("Statements pending a checker"),
        rows=statements_pending,
        decisions=STATEMENT_DECISIONS,
        title=_statement_title,
        detail=lambda s: (
            f"{s.transaction_count} · {money_text(s.gross_amount, s.currency)} → {money_text(s.share_amount, s.currency)}"
        ),
        maker=_made_by("prepared_by"),
        since=attrgetter("prepared_at"),
        makers=_each(statement_makers),
    ),
    InboxKind(
        kind="payout",
        label=_("Payouts awaiting confirmation"),
        rows=payouts_recorded,
        decisions=PAYOUT_DECISIONS,
        title=_statement_title,
        detail=lambda s: (
            f"{s.payout_reference} · {s.paid_on} · {money_text(s.share_amount + s.adjustment_amount, s.currency)}"
        ),
        maker=_made_by("payout_recorded_by"),
        since=attrgetter("payout_recorded_at"),
        makers=_each(payout_makers),
    ),
    InboxKind(
        kind="adjustment",
        label=_("Adjustments pending approval"),
        rows=adjustments_pending,
        decisions=ADJUSTMENT_DECISIONS,
        title=lambda a: f"{a.agreement.partner} · {a.amount}",
        detail=attrgetter("reason"),
        maker=_made_by("created_by"),
        since=attrgetter("created_at"),
        makers=_each(adjustment_makers),
    ),
    InboxKind(
        kind="dispute",
        label=_("Open disputes"),
        rows=disputes_open,
        decisions=DISPUTE_DECISIONS,
        title=lambda d: f"{d.partner} · {_period(d.line.statement)}",
        detail=attrgetter("reason"),
        maker=_made_by("raised_by"),
        since=attrgetter("raised_at"),
        makers=_each(dispute_makers),
    ),
    InboxKind(
        kind="payee_account",
        label=_("Payee accounts awaiting verification"),
        rows=payee_accounts_pending,
        decisions=PAYEE_DECISIONS,
        title=lambda a: f"{a.partner} · {a.bank_name} {a.masked_number}",
        detail=_payee_detail,
        maker=_made_by("submitted_by"),
        since=attrgetter("submitted_at"),
        makers=_each(payee_account_makers),
    ),
    InboxKind(
        kind="vat_invoice",
        label=_("VAT invoices awaiting verification"),
        rows=invoices_submitted,
        decisions=INVOICE_DECISIONS,
        title=lambda i: f"{i.partner} · {i} · {_period(i.statement)}",
        detail=lambda i: (
            f"{money_text(i.amount_before_tax, i.statement.currency)} + {money_text(i.tax_amount, i.statement.currency)}"
            f" = {money_text(i.total_amount, i.statement.currency)}"
        ),
        maker=_made_by("submitted_by"),
        since=attrgetter("submitted_at"),
        makers=_each(invoice_makers),
    ),
)


KINDS_BY_NAME = {k.kind: k for k in INBOX_KINDS}


def inbox_sections(*, user=None) -> list[InboxSection]:
    """Every kind of pending item, a fixed number of queries per kind; with ``user``, each row
    says what it offers them."""
    return [InboxSection(k.kind, k.label, k.items(user=user), k.link()) for k in INBOX_KINDS]
