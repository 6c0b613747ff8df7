"""The approvals inbox: everything waiting for a staff decision, with its maker.

Each kind is one query (the maker comes along by join or subquery), so the page costs the
same whatever is waiting. Kinds whose app is not installed yet are simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def _partner_items() -> list[InboxItem]:
    return [
        InboxItem(
            kind="partner",
            pk=p.pk,
            title=p.display_name,
            detail=f"{p.industry} · {p.credit_code}",
            status_label=p.get_status_display(),
            maker_id=p.maker_id,
            maker=p.maker_email or "—",
            since=p.submitted_at,
            admin_url=reverse("admin:partners_partner_change", args=[p.pk]),
            decisions=PARTNER_DECISIONS[p.status],
        )
        for p in partner_reviews()[:INBOX_SHOWN]
    ]


def _participation_items() -> list[InboxItem]:
    return [
        InboxItem(
            kind="participation",
            pk=p.pk,
            title=f"{p.partner} → {p.scenario}",
            detail=p.get_channel_display() + (f" · {p.note}" if p.note else ""),
            status_label=p.get_status_display(),
            maker_id=p.requested_by_id,
            maker=p.requested_by.email if p.requested_by else "—",
            since=p.requested_at,
            admin_url=reverse("admin:scenarios_participation_change", args=[p.pk]),
            decisions=PARTICIPATION_DECISIONS[p.status],
        )
        for p in participation_requests()[:INBOX_SHOWN]
    ]


def _admin_change(app_model: str, pk) -> str:
    try:
        return reverse(f"admin:{app_model}_change", args=[pk])
    except NoReverseMatch:
        return ""


def _agreement_items() -> list[InboxItem]:
    return [
        InboxItem(
            kind="agreement",
            pk=a.pk,
            title=f"{a.partner} · {a.scenario_code}",
            detail=f"{a.get_model_display()} · {a.get_cycle_display()} · {a.effective_from}",
            status_label=a.get_status_display(),
            maker_id=a.created_by_id,
            maker=a.created_by.email if a.created_by else "—",
            since=a.created_at,
            admin_url=_admin_change("revenue_agreement", a.pk),
            decisions=AGREEMENT_DECISIONS[a.status],
        )
        for a in agreements_pending()[:INBOX_SHOWN]
    ]


def _statement_items() -> list[InboxItem]:
    return [
        InboxItem(
            kind="statement",
            pk=s.pk,
            title=f"{s.partner} · {s.scenario_code} · {s.period_start}–{s.period_end}",
            detail=f"{s.transaction_count} · {s.gross_amount} → {s.share_amount} {s.currency}",
            status_label=s.get_status_display(),
            maker_id=s.prepared_by_id,
            maker=s.prepared_by.email,
            since=s.prepared_at,
            admin_url=_admin_change("revenue_statement", s.pk),
            decisions=STATEMENT_DECISIONS[s.status],
        )
        for s in statements_pending()[:INBOX_SHOWN]
    ]


def _adjustment_items() -> list[InboxItem]:
    return [
        InboxItem(
            kind="adjustment",
            pk=a.pk,
            title=f"{a.agreement.partner} · {a.amount}",
            detail=a.reason,
            status_label=a.get_status_display(),
            maker_id=a.created_by_id,
            maker=a.created_by.email,
            since=a.created_at,
            admin_url=_admin_change("revenue_adjustment", a.pk),
            decisions=ADJUSTMENT_DECISIONS[a.status],
        )
        for a in adjustments_pending()[:INBOX_SHOWN]
    ]


def _dispute_items() -> list[InboxItem]:
    return [
        InboxItem(
            kind="dispute",
            pk=d.pk,
            title=f"{d.partner} · {d.line.statement.period_start}–{d.line.statement.period_end}",
            detail=d.reason,
            status_label=d.get_status_display(),
            maker_id=d.raised_by_id,
            maker=d.raised_by.email,
            since=d.raised_at,
            admin_url=_admin_change("revenue_dispute", d.pk),
            decisions=DISPUTE_DECISIONS[d.status],
        )
        for d in disputes_open()[:INBOX_SHOWN]
    ]


def inbox_sections() -> list[InboxSection]:
    """Every kind of pending item, one query per kind."""
    return [
        InboxSection(
            "partner",
            _("Partner reviews"),
            _partner_items(),
            changelist("partners", "partner", status__in="submitted,under_review"),
        ),
        InboxSection(
            "participation",
            _("Participation requests"),
            _participation_items(),
            changelist("scenarios", "participation", status__exact="requested"),
        ),
        InboxSection(
            "agreement",
            _("Agreements pending approval"),
            _agreement_items(),
            changelist("revenue", "agreement", status__exact="pending_approval"),
        ),
        InboxSection(
            "statement",
            _("Statements pending a checker"),
            _statement_items(),
            changelist("revenue", "statement", status__exact="draft"),
        ),
        InboxSection(
            "adjustment",
            _("Adjustments pending approval"),
            _adjustment_items(),
            changelist("revenue", "adjustment", status__exact="pending_approval"),
        ),
        InboxSection(
            "dispute",
            _("Open disputes"),
            _dispute_items(),
            changelist("revenue", "dispute", status__exact="open"),
        ),
    ]
