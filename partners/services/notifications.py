"""E-mails to a partner's owners and admins about the bank's decisions on it: review started,
approved, rejected, reopened, live, suspended, reinstated, terminated. The lifecycle queues
one after the commit of each such move; the application status page shows the same."""

from __future__ import annotations

from django.urls import reverse

from core.links import site_url

from ..mail import send_bilingual
from ..models import Membership, Partner, PartnerStatusChange


def partner_decision_notify(*, change: PartnerStatusChange) -> bool:
    """E-mail the active owners and admins of the partner about ``change``; False when nobody
    is told (no recipient, or the mail server refused: the decision itself stands)."""
    recipients = list(
        Membership.objects.filter(
            partner_id=change.partner_id, role__in=Membership.TEAM_MANAGER_ROLES, user__is_active=True
        )
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )
    if not recipients:
        return False
    return send_bilingual(
        template="partner_decision",
        context={
            "partner": change.partner,
            "change": change,
            "to_label": Partner.Status(change.to_status).label,  # lazy: rendered in each language
            "link": site_url(reverse("portal:application")),
        },
        to=recipients,
    )
