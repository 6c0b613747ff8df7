"""The approvals inbox: everything waiting for a staff decision, with its maker.

Each kind is one query (the maker comes along by join or subquery), so the page costs the
same whatever is waiting. Kinds whose app is not installed yet are simply absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, PartnerStatusChange
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
    ]
