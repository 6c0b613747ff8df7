"""E-mails to applicants about staff decisions on their application.

The partners lifecycle writes a ``PartnerStatusChange`` row for every move; the portal tells the
partner's owners and admins about the moves that are staff decisions, after commit, in English
and Chinese (partners read either).
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import override

from partners.models import Membership, Partner, PartnerStatusChange

logger = logging.getLogger(__name__)

S = Partner.Status
DECISIONS = frozenset({S.UNDER_REVIEW, S.APPROVED, S.REJECTED, S.ACTIVE, S.SUSPENDED, S.TERMINATED, S.DRAFT})


def application_decision_notify(*, change: PartnerStatusChange) -> bool:
    """E-mail the owners and admins of the partner about ``change``; False when nobody is
    told (no recipient, or the mail server refused: the decision itself stands)."""
    recipients = list(
        Membership.objects.filter(partner_id=change.partner_id, role__in=Membership.TEAM_MANAGER_ROLES)
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )
    if not recipients:
        return False
    context = {
        "partner": change.partner,
        "change": change,
        "link": settings.SITE_URL.rstrip("/") + reverse("portal:application"),
    }
    subjects, bodies = [], []
    for language in ("en", "zh-hans"):
        with override(language):
            context["to_label"] = S(change.to_status).label
            subjects.append(render_to_string("portal/email/decision_subject.txt", context).strip())
            bodies.append(render_to_string("portal/email/decision_body.txt", context).strip())
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " / ".join(subjects)
    try:
        send_mail(
            subject, "\n\n----------------------------------------\n\n".join(bodies) + "\n", None, recipients
        )
    except (OSError, smtplib.SMTPException):
        logger.exception("could not send the decision e-mail of partner %s", change.partner_id)
        return False
    return True


def on_status_change(sender, instance: PartnerStatusChange, created: bool, **kwargs) -> None:
    if created and instance.to_status in DECISIONS and instance.from_status != S.DRAFT:
        transaction.on_commit(lambda: application_decision_notify(change=instance))
