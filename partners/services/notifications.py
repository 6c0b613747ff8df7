"""Notifications: e-mails to a partner's owners and admins about the bank's decisions on it
(review started, approved, rejected, reopened, live, suspended, reinstated, terminated; the
lifecycle queues one after the commit of each such move), and the notification centre's
writes: mark read, preferences, the immediate e-mail and the daily digest. Notifications
themselves are written by ``partners.notifications.notify``."""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.links import site_url

from ..exceptions import NotificationInvalid
from ..mail import send_bilingual
from ..models import Membership, Notification, NotificationPreference, Partner, PartnerStatusChange
from ..notifications import KINDS, Notice

logger = logging.getLogger(__name__)
Delivery = NotificationPreference.Delivery


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


def notification_mark_read(*, user, partner: Partner | None, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications in ``partner`` read (``None``: staff's own).
    Another person's or partner's raises ``Notification.DoesNotExist`` (a 404)."""
    notification = Notification.objects.get(pk=notification_id, recipient=user, partner=partner)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notification_mark_all_read(*, user, partner: Partner | None) -> int:
    """Mark every unread notification of ``user`` in ``partner`` read; how many."""
    return Notification.objects.filter(recipient=user, partner=partner, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_preferences_set(*, user, choices: dict[str, str]) -> int:
    """Save how ``user`` wants each kind in ``choices`` (kind → delivery); how many changed.
    An unknown kind or delivery refuses the whole form (nothing is written)."""
    for kind, delivery in choices.items():
        if kind not in KINDS:
            raise NotificationInvalid(
                _("Unknown kind of notification: %(kind)s.") % {"kind": kind}, field=kind
            )
        if delivery not in Delivery.values:
            raise NotificationInvalid(_("Choose how this notification reaches you."), field=kind)
    with transaction.atomic():
        current = dict(
            NotificationPreference.objects.filter(user=user, kind__in=list(choices)).values_list(
                "kind", "delivery"
            )
        )
        changed = [
            NotificationPreference(user=user, kind=kind, delivery=delivery)
            for kind, delivery in choices.items()
            if current.get(kind) != delivery
        ]
        NotificationPreference.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["user", "kind"],
            update_fields=["delivery", "updated_at"],
        )
    return len(changed)


def _claim_for_mail(found) -> list[Notification]:
    """Take the notifications not mailed yet (one conditional UPDATE: two workers never mail
    one twice), with their recipients."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            found.select_for_update(skip_locked=True)
            .filter(emailed_at__isnull=True)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    return list(
        Notification.objects.filter(pk__in=ids)
        .select_related("recipient")
        .order_by("recipient_id", "created_at")
    )


def notification_email_send(*, notification_ids: list[int]) -> int:
    """E-mail each of these notifications to its recipient, once; how many went out."""
    sent = 0
    for notification in _claim_for_mail(
        Notification.objects.filter(pk__in=notification_ids, mail=Delivery.IMMEDIATE)
    ):
        if not notification.recipient.is_active:
            continue
        notice = Notice(notification)
        if send_bilingual(
            template="notification",
            context={"notice": notice, "link": site_url(notice.link) if notice.link else ""},
            to=[notification.recipient.email],
        ):
            sent += 1
    return sent


def notification_digest_send() -> int:
    """Daily: one e-mail per person gathering their notifications chosen for the digest and
    not mailed yet; how many e-mails. Running it twice sends nothing the second time."""
    waiting = _claim_for_mail(Notification.objects.filter(mail=Delivery.DIGEST))
    by_user: dict[int, list[Notification]] = {}
    for notification in waiting:
        by_user.setdefault(notification.recipient_id, []).append(notification)
    sent = 0
    for items in by_user.values():
        recipient = items[0].recipient
        if not recipient.is_active:
            continue
        notices = [Notice(n) for n in items]
        if send_bilingual(
            template="notification_digest",
            context={
                "notices": notices,
                "count": len(notices),
                "link": site_url(reverse("portal:notifications")),
                "staff_link": site_url(reverse("console:notifications")),
                "staff": items[0].partner_id is None,
            },
            to=[recipient.email],
        ):
            sent += 1
    logger.info("notification digest: %d e-mails for %d notifications", sent, len(waiting))
    return sent
