"""Reads of the portal shell that span the apps: the memberships a user may act through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Case, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.money import MoneySum
from partners.models import (
    ApiUsage,
    Invitation,
    Membership,
    PartnerAPIKey,
    PartnerDocument,
    PartnerStatusChange,
    WebhookDelivery,
    WebhookEndpoint,
)
from partners.selectors import business_today
from products.models import Product, Segment
from revenue.models import Adjustment, Dispute, Statement
from revenue.money import ZERO
from scenarios.models import BundleItem, Participation, ParticipationStatusChange, Scenario
from scenarios.selectors import scenario_get_for_partner

__all__ = [
    "business_today",
    "endpoint_deliveries",
    "participation_history",
    "partner_calls_by_key",
    "partner_daily_calls",
    "partner_disputes",
    "partner_documents_expiring",
    "partner_keys_expiring",
    "partner_open_invitations",
    "partner_participations",
    "partner_scenario_invitations",
    "partner_setup_facts",
    "partner_share_by_month",
    "partner_statements_open",
    "partner_status_changes",
    "partner_webhook_endpoints",
    "scenario_visible_to_partner",
    "segments",
    "user_memberships",
]


def user_memberships(*, user) -> QuerySet[Membership]:
    """Every membership of ``user`` with its partner and industry (terminated partners too:
    the portal tells their users it is closed). One query."""
    return (
        Membership.objects.filter(user=user)
        .select_related("partner", "partner__industry")
        .order_by("partner__display_name", "partner_id")
    )


# --------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------
def partner_daily_calls(*, partner, since: date, until: date) -> dict[date, tuple[int, int]]:
    """``{day: (calls, errors)}`` of ``partner``'s live keys, summed in SQL over endpoints and
    keys (the (partner, day) index of ``ApiUsage``; sandbox keys' calls are not live usage).
    One query for any number of keys."""
    rows = (
        ApiUsage.objects.filter(partner=partner, day__gte=since, day__lte=until, key__sandbox=False)
        .values("day")
        .annotate(calls=Sum("calls"), errors=Sum("errors"))
        .order_by("day")
    )
    return {row["day"]: (row["calls"], row["errors"]) for row in rows}


def partner_calls_by_key(*, partner, since: date, until: date) -> dict[str, tuple[int, int]]:
    """``{key prefix: (calls, errors)}`` over the period. One query."""
    rows = (
        ApiUsage.objects.filter(partner=partner, day__gte=since, day__lte=until)
        .values("key_id")
        .annotate(calls=Sum("calls"), errors=Sum("errors"))
        .order_by()
    )
    return {row["key_id"]: (row["calls"], row["errors"]) for row in rows}


def partner_keys_expiring(*, partner, within: timedelta) -> QuerySet[PartnerAPIKey]:
    now = timezone.now()
    return PartnerAPIKey.objects.filter(
        partner=partner,
        revoked=False,
        rotated_at__isnull=True,
        expiry_date__gt=now,
        expiry_date__lte=now + within,
    ).order_by("expiry_date")


def partner_documents_expiring(*, partner, within: timedelta) -> QuerySet[PartnerDocument]:
    today = timezone.localdate()
    return PartnerDocument.objects.filter(
        partner=partner,
        status=PartnerDocument.Status.VERIFIED,
        expires_on__gte=today,
        expires_on__lte=today + within,
    ).order_by("expires_on")


def partner_status_changes(*, partner) -> QuerySet[PartnerStatusChange]:
    """The lifecycle moves of ``partner``, newest first (what staff decided and why)."""
    return PartnerStatusChange.objects.filter(partner=partner).order_by("-changed_at", "-id")


def partner_open_invitations(*, partner) -> QuerySet[Invitation]:
    """Invitations of ``partner`` not yet accepted, revoked or expired."""
    return Invitation.objects.filter(
        partner=partner, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("email")


# --------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------
def partner_participations(*, partner) -> QuerySet[Participation]:
    """Every participation of ``partner`` with its scenario version, newest first per scenario,
    and ``newer_version``: the latest published version above its own (None when it is on the
    latest). One query."""
    newer = (
        Scenario.objects.filter(
            code=OuterRef("scenario_code"),
            status=Scenario.Status.PUBLISHED,
            version__gt=OuterRef("scenario__version"),
        )
        .order_by("-version")
        .values("version")[:1]
    )
    return (
        Participation.objects.filter(partner=partner)
        .select_related("scenario", "scenario__industry")
        .annotate(newer_version=Subquery(newer))
        .order_by("scenario_code", "-requested_at", "-id")
    )


def partner_scenario_invitations(*, partner) -> QuerySet[Participation]:
    """The scenario invitations ``partner`` has not answered, oldest first, with the version
    and its industry. One query."""
    return (
        Participation.objects.filter(partner=partner, status=Participation.Status.INVITED)
        .select_related("scenario", "scenario__industry")
        .order_by("requested_at", "id")
    )


def participation_history(*, participation: Participation) -> QuerySet[ParticipationStatusChange]:
    """The status moves of a partner's participations in ``participation``'s scenario (every
    version: joined, moved, left), newest first, with who made them. One query."""
    return (
        ParticipationStatusChange.objects.filter(
            participation__partner_id=participation.partner_id,
            participation__scenario_code=participation.scenario_code,
        )
        .select_related("participation__scenario", "changed_by")
        .order_by("-changed_at", "-id")
    )


@dataclass(frozen=True)
class SetupFacts:
    """How far a partner's integration has come (the dashboard's next steps depend on it)."""

    participations: frozenset[str]  # the statuses of its participations
    usable_keys: bool


def partner_setup_facts(*, partner) -> SetupFacts:
    """Two queries whatever the partner's size."""
    statuses = Participation.objects.filter(partner=partner).values_list("status", flat=True).distinct()
    # ``PartnerAPIKey.is_usable`` in SQL.
    keys = PartnerAPIKey.objects.filter(partner=partner, revoked=False, expiry_date__gt=timezone.now())
    return SetupFacts(participations=frozenset(statuses), usable_keys=keys.exists())


def scenario_visible_to_partner(*, partner, code: str) -> Scenario | None:
    """The version of ``code`` the partner sees: the one it actively takes part in, else the
    latest published version open to it (reserved for no one, or for it); None otherwise.
    Items (on-sale products) and industry loaded."""
    try:
        return scenario_get_for_partner(partner=partner, code=code)
    except Scenario.DoesNotExist:
        pass
    return (
        Scenario.objects.filter(code=code, status=Scenario.Status.PUBLISHED)
        .filter(Q(reserved_for__isnull=True) | Q(reserved_for=partner))
        .select_related("industry")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=BundleItem.objects.filter(product__status=Product.Status.ACTIVE)
                .select_related("product")
                .order_by("position"),
            )
        )
        .order_by("-version")
        .first()
    )


def segments() -> QuerySet[Segment]:
    return Segment.objects.order_by("position", "code")


# --------------------------------------------------------------------------------------
# Revenue
# --------------------------------------------------------------------------------------
def partner_disputes(*, partner, statement=None) -> QuerySet[Dispute]:
    """The disputes ``partner`` raised (of one statement, when given), newest first, with the
    line and its statement, and ``adjustments``: each adjustment staff proposed for it (newest
    first), with the statement line that carries it once settled (``adjustment.line``, absent
    until then). Two queries."""
    rows = Dispute.objects.filter(partner=partner)
    if statement is not None:
        rows = rows.filter(line__statement=statement)
    adjustments = Prefetch(
        "adjustments",
        queryset=Adjustment.objects.select_related("line__statement").order_by("-created_at", "-id"),
    )
    return (
        rows.select_related("line", "line__statement__agreement__scenario", "line__product", "raised_by")
        .prefetch_related(adjustments)
        .order_by("-raised_at", "-id")
    )


# --------------------------------------------------------------------------------------
# Webhooks
# --------------------------------------------------------------------------------------
DELIVERY_LOG_SIZE = 50


def partner_webhook_endpoints(*, partner) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner=partner).order_by("url", "pk")


def endpoint_deliveries(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The newest deliveries of one endpoint (``webhook_delivery_endpoint_idx``)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")[
        :DELIVERY_LOG_SIZE
    ]


class MonthShare(NamedTuple):
    """A month's share + adjustments: of statements the bank approved (or paid), and of drafts
    not yet approved, which may still change."""

    approved: Decimal
    draft: Decimal


def partner_share_by_month(*, partner, since: date) -> dict[date, MonthShare]:
    """``{first day of month: MonthShare}`` of ``partner``'s statements whose period starts on
    or after ``since``: summed in SQL over the statements (the ledger's roll-up), so the cost
    follows the number of periods, not of transactions."""
    share = F("share_amount") + F("adjustment_amount")
    draft = Q(status=Statement.Status.DRAFT)
    rows = (
        Statement.objects.filter(partner=partner, period_start__gte=since)
        .annotate(month=TruncMonth("period_start"))
        .values("month")
        .annotate(
            approved=MoneySum(share, filter=~draft, default=ZERO),
            draft=MoneySum(share, filter=draft, default=ZERO),
        )
        .order_by("month")
    )
    return {_as_date(row["month"]): MonthShare(row["approved"], row["draft"]) for row in rows}


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


class StatementsOpen(NamedTuple):
    open: list[Statement]
    any: bool  # whether the partner has a statement at all (paid ones included)


def partner_statements_open(*, partner, limit: int = 5) -> StatementsOpen:
    """Statements not yet paid (to check, and to dispute while they are open), newest first,
    and whether there is any statement at all: one query, paid statements sorted last."""
    paid = Case(When(status=Statement.Status.PAID, then=Value(1)), default=Value(0))
    rows = list(
        Statement.objects.filter(partner=partner)
        .alias(paid=paid)
        .select_related("agreement__scenario")
        .order_by("paid", "-period_start", "-id")[:limit]
    )
    return StatementsOpen([s for s in rows if s.status != Statement.Status.PAID], bool(rows))
