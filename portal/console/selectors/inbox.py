"""The approvals inbox: everything waiting for a staff decision, with its maker.

Each kind is one query (the maker comes along by join or subquery), so the page costs the
same whatever is waiting. Kinds whose app is not installed yet are simply absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, PartnerStatusChange
from revenue.models import Adjustment, Agreement, Dispute, Statement
from scenarios.models import Participation

from ..links import changelist

INBOX_SHOWN = 100  # per kind; the link leads to the full list in the admin


@dataclass(frozen=True)
class Decision:
    name: str
    label: str
    reason_required: bool = False
    danger: bool = False


# The decisions each kind offers, per status of the item.
PARTNER_DECISIONS = {
    Partner.Status.SUBMITTED: (Decision("start_review", _("Start review")),),
    Partner.Status.UNDER_REVIEW: (
        Decision("approve", _("Approve")),
        Decision("reject", _("Reject"), reason_required=True, danger=True),
    ),
}
PARTICIPATION_DECISIONS = {
    Participation.Status.REQUESTED: (
        Decision("approve", _("Approve")),
        Decision("decline", _("Decline"), danger=True),
    ),
}


AGREEMENT_DECISIONS = {
    Agreement.Status.PENDING_APPROVAL: (
        Decision("approve", _("Approve")),
        Decision("return", _("Send back"), reason_required=True, danger=True),
    ),
}
STATEMENT_DECISIONS = {Statement.Status.DRAFT: (Decision("approve", _("Approve")),)}
ADJUSTMENT_DECISIONS = {
    Adjustment.Status.PENDING_APPROVAL: (
        Decision("approve", _("Approve")),
        Decision("reject", _("Reject"), reason_required=True, danger=True),
    ),
}
DISPUTE_DECISIONS = {
    Dispute.Status.OPEN: (Decision("reject", _("Reject"), reason_required=True, danger=True),)
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
        .select_related("partner", "created_by")
        .order_by("created_at", "pk")
    )


def statements_pending() -> QuerySet[Statement]:
    """Draft statements a finance maker prepared, waiting for a checker."""
    return (
        Statement.objects.filter(status__in=list(STATEMENT_DECISIONS), prepared_by__isnull=False)
        .select_related("partner", "prepared_by")
        .order_by("prepared_at", "pk")
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


@dataclass(frozen=True)
class InboxKind:
    """One kind of pending item: the query behind it and what each row shows."""

    kind: str
    label: str
    rows: Callable[[], QuerySet]
    decisions: Mapping[str, tuple[Decision, ...]]
    title: Callable[[Any], str]
    detail: Callable[[Any], str]
    maker: Callable[[Any], tuple[int | None, str | None]]
    since: Callable[[Any], object]

    def items(self) -> list[InboxItem]:
        """The oldest ``INBOX_SHOWN`` rows: one query, the maker joined in."""
        return [self._item(row) for row in self.rows()[:INBOX_SHOWN]]

    def link(self) -> str:
        """The admin changelist filtered to the statuses this kind decides on."""
        opts = self.rows().model._meta
        statuses = list(self.decisions)
        if len(statuses) == 1:
            return changelist(opts.app_label, opts.model_name, status__exact=statuses[0])
        return changelist(opts.app_label, opts.model_name, status__in=",".join(statuses))

    def _item(self, row) -> InboxItem:
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
    ),
    InboxKind(
        kind="agreement",
        label=_("Agreements pending approval"),
        rows=agreements_pending,
        decisions=AGREEMENT_DECISIONS,
        title=lambda a: f"{a.partner} · {a.scenario_code}",
        detail=lambda a: f"{a.get_model_display()} · {a.get_cycle_display()} · {a.effective_from}",
        maker=_made_by("created_by"),
        since=attrgetter("created_at"),
    ),
    InboxKind(
        kind="statement",
        label=_("Statements pending a checker"),
        rows=statements_pending,
        decisions=STATEMENT_DECISIONS,
        title=lambda s: f"{s.partner} · {s.scenario_code} · {_period(s)}",
        detail=lambda s: f"{s.transaction_count} · {s.gross_amount} → {s.share_amount} {s.currency}",
        maker=_made_by("prepared_by"),
        since=attrgetter("prepared_at"),
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
    ),
)


def inbox_sections() -> list[InboxSection]:
    """Every kind of pending item, one query per kind."""
    return [InboxSection(k.kind, k.label, k.items(), k.link()) for k in INBOX_KINDS]
