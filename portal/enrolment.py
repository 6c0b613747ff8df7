"""Staff two-factor enrolment: something the password does not give.

A staff member without an authenticator app cannot set one up with the password alone: the
setup page (allauth's ``mfa_activate_totp``) opens only in a session that redeemed a one-time
enrolment link (``portal.middleware``). The link is signed (``django.core.signing``, salt
below), expires after ``STAFF_ENROLMENT_LINK_HOURS`` and works once: it carries a nonce whose
hash is stored in the member's ``StaffEnrolment`` row, which a conditional UPDATE marks used
(the database decides which of two concurrent redemptions wins). A new link replaces the last.

Links are mailed to the account's address when an administrator creates a staff account or
makes an account staff, and by the admin actions on users (send, or reset and send); an
operator prints one with ``manage.py staff_enrolment_link``; ``seed_demo`` prints the demo
staff's. Redeeming one needs the account's password too (allauth's login, with its limits).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.domain import DomainError
from core.links import site_url

from .models import StaffEnrolment, User

SALT = "portal.staff-enrolment"
# The session of a member who redeemed a link: {"user": pk, "until": POSIX seconds}.
GRANT_SESSION_KEY = "portal_staff_enrolment"
GRANT_SECONDS = 30 * 60


class EnrolmentInvalid(DomainError):
    status_code = 410
    code = "enrolment_invalid"


class EnrolmentWrongAccount(DomainError):
    status_code = 403
    code = "forbidden"


def _lifetime() -> timedelta:
    return timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS)


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


# --------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------
def staff_has_authenticator(*, user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def staff_enrolment_user_id(*, token: str) -> int:
    """The staff member a link is for; ``EnrolmentInvalid`` when forged or expired (whether it
    was used is known only on redemption)."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=_lifetime())
    except signing.SignatureExpired as exc:
        raise EnrolmentInvalid(
            _("This enrolment link has expired. Ask an administrator for a new one.")
        ) from exc
    except signing.BadSignature as exc:
        raise EnrolmentInvalid(_("This enrolment link is not valid.")) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int) or not payload.get("n"):
        raise EnrolmentInvalid(_("This enrolment link is not valid."))
    return payload["u"]


def staff_enrolment_granted(request: HttpRequest) -> bool:
    """This session redeemed an enrolment link of its user, recently."""
    grant = request.session.get(GRANT_SESSION_KEY) or {}
    return grant.get("user") == request.user.pk and grant.get("until", 0) > time.time()


# --------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------
@transaction.atomic
def staff_enrolment_issue(*, user: User, issued_by: User | None = None) -> str:
    """A new enrolment link for ``user`` (the absolute URL); the last one stops working. The
    account's address becomes its verified primary address for allauth: it is the one an
    administrator gave, staff cannot change it themselves, and the link goes there."""
    if not (user.is_staff and user.is_active):
        raise EnrolmentWrongAccount(_("Only active staff accounts enrol through a link."))
    nonce = secrets.token_urlsafe(24)
    now = timezone.now()
    StaffEnrolment.objects.update_or_create(
        user=user,
        defaults={
            "nonce_hash": _nonce_hash(nonce),
            "issued_at": now,
            "expires_at": now + _lifetime(),
            "used_at": None,
            "issued_by": issued_by,
        },
    )
    has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
    address, _created = EmailAddress.objects.get_or_create(
        user=user,
        email__iexact=user.email,
        defaults={"email": user.email, "verified": True, "primary": not has_primary},
    )
    if not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
    token = signing.dumps({"u": user.pk, "n": nonce}, salt=SALT)
    return site_url(reverse("staff_enrolment", args=[token]))


def staff_enrolment_mail(*, user: User, issued_by: User | None = None) -> str:
    """Issue a link and mail it to the account's address; the link."""
    link = staff_enrolment_issue(user=user, issued_by=issued_by)
    context = {"user": user, "link": link, "hours": settings.STAFF_ENROLMENT_LINK_HOURS}
    subject = render_to_string("account/email/staff_enrolment_subject.txt", context).strip()
    body = render_to_string("account/email/staff_enrolment_message.txt", context)
    send_mail(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, None, [user.email])
    return link


@transaction.atomic
def staff_mfa_reset(*, user: User, actor: User | None) -> str:
    """Remove the member's authenticators (app and recovery codes) and mail a new link."""
    Authenticator.objects.filter(user_id=user.pk).delete()
    return staff_enrolment_mail(user=user, issued_by=actor)


def staff_enrolment_redeem(*, request: HttpRequest, token: str) -> None:
    """Use the link once, for the logged-in member it was sent to: this session may then set
    up an authenticator app for ``GRANT_SECONDS``."""
    user = request.user
    user_id = staff_enrolment_user_id(token=token)
    if user_id != user.pk:
        raise EnrolmentWrongAccount(
            _(
                "This enrolment link is for another account. Log out, then log in as the person it was sent to."
            )
        )
    nonce = signing.loads(token, salt=SALT)["n"]
    used = StaffEnrolment.objects.filter(
        user_id=user.pk, nonce_hash=_nonce_hash(nonce), used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    if not used:
        raise EnrolmentInvalid(
            _(
                "This enrolment link was already used or replaced by a newer one. Ask an administrator for a new one."
            )
        )
    request.session[GRANT_SESSION_KEY] = {"user": user.pk, "until": time.time() + GRANT_SECONDS}
