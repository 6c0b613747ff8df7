"""Partner teams: memberships and roles, invitations by e-mail, ownership transfer.

A partner always keeps at least one owner. Every write that could remove the last owner locks
the partner row first, so two owners leaving at the same moment cannot both succeed.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.links import site_url

from ..exceptions import LastOwner, PartnerConflict, PartnerError, PartnerNotAllowed
from ..mail import send_bilingual
from ..models import Invitation, Membership, Partner
from ..selectors import invitation_ensure_usable, token_hash
from ._access import has_staff_perm, require_staff_perm, require_staff_perm_or_role

logger = logging.getLogger(__name__)

R = Membership.Role


def _lock_partner(partner: Partner) -> Partner:
    return Partner.objects.select_for_update().get(pk=partner.pk)


def _other_owners(membership: Membership) -> int:
    return (
        Membership.objects.filter(partner_id=membership.partner_id, role=R.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


def _check_manager_may_touch(*, actor_role: str | None, membership: Membership, new_role: str | None) -> None:
    """Partner admins manage the team but not its owners; owners manage everyone."""
    if actor_role == R.ADMIN and (membership.role == R.OWNER or new_role == R.OWNER):
        raise PartnerNotAllowed(_("Only an owner can change an owner or make someone an owner."))


# --------------------------------------------------------------------------------------
# Memberships
# --------------------------------------------------------------------------------------
def membership_create(*, partner: Partner, user, role: str, actor) -> Membership:
    """Staff add an existing user to a partner's team directly."""
    require_staff_perm(actor, "partners.add_membership")
    if partner.is_closed:
        raise PartnerNotAllowed(_("This partner is closed: its team cannot change."))
    membership = Membership(partner=partner, user=user, role=role)
    membership._history_user = actor
    try:
        with transaction.atomic():
            membership.full_clean(validate_unique=False, validate_constraints=False)
            membership.save()
    except IntegrityError as exc:
        raise PartnerConflict(_("%(user)s is already a member.") % {"user": user.email}) from exc
    return membership


def membership_change_role(*, membership: Membership, role: str, actor) -> Membership:
    if role not in R.values:
        raise PartnerError(_("Choose a role."), field="role")
    actor_role = require_staff_perm_or_role(
        actor, membership.partner, "partners.change_membership", Membership.TEAM_MANAGER_ROLES
    )
    _check_manager_may_touch(actor_role=actor_role, membership=membership, new_role=role)
    with transaction.atomic():
        _lock_partner(membership.partner)
        membership.refresh_from_db(fields=["role"])
        if membership.role == R.OWNER and role != R.OWNER and _other_owners(membership) == 0:
            raise LastOwner(_("A partner always keeps at least one owner: make someone else owner first."))
        membership.role = role
        membership._history_user = actor
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: Membership, actor) -> None:
    """Remove a member (a member may also leave by themselves)."""
    leaving = actor is not None and actor.pk == membership.user_id
    if not leaving:
        actor_role = require_staff_perm_or_role(
            actor, membership.partner, "partners.delete_membership", Membership.TEAM_MANAGER_ROLES
        )
        _check_manager_may_touch(actor_role=actor_role, membership=membership, new_role=None)
    with transaction.atomic():
        _lock_partner(membership.partner)
        membership.refresh_from_db(fields=["role"])
        if membership.role == R.OWNER and _other_owners(membership) == 0:
            raise LastOwner(_("A partner always keeps at least one owner: make someone else owner first."))
        membership._history_user = actor
        membership.delete()


def ownership_transfer(*, from_membership: Membership, to_membership: Membership, actor) -> Membership:
    """``to`` becomes an owner; ``from`` (an owner) becomes an admin. By the owner giving it
    away, or by staff allowed to transfer ownership."""
    if from_membership.partner_id != to_membership.partner_id or from_membership.pk == to_membership.pk:
        raise PartnerError(_("Choose another member of the same partner."), field="to_membership")
    if not (actor and actor.pk == from_membership.user_id) and not has_staff_perm(
        actor, "partners.transfer_ownership"
    ):
        raise PartnerNotAllowed(_("Only the owner or authorised staff can transfer the ownership."))
    with transaction.atomic():
        partner = _lock_partner(from_membership.partner)
        if partner.is_read_only and not has_staff_perm(actor, "partners.transfer_ownership"):
            raise PartnerNotAllowed(_("This partner is suspended or closed: nothing can be changed."))
        from_membership.refresh_from_db(fields=["role"])
        to_membership.refresh_from_db(fields=["role"])
        if from_membership.role != R.OWNER:
            raise PartnerConflict(_("Only an owner can hand over the ownership."))
        to_membership.role = R.OWNER
        to_membership._history_user = actor
        to_membership.save(update_fields=["role"])
        from_membership.role = R.ADMIN
        from_membership._history_user = actor
        from_membership.save(update_fields=["role"])
    logger.info("ownership of partner %s transferred to user %s", partner.slug, to_membership.user_id)
    return to_membership


# --------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------
def account_create_verified(*, email: str, password: str, full_name: str = "", validate: bool = True):
    """A new portal account whose e-mail address is already proven (by an invitation link, or
    for demo data). The password passes the configured validators (``validate=False`` only for
    the demo logins, whose password the operator chooses)."""
    User = get_user_model()
    email = User.objects.normalize_email(email).lower()
    if validate:
        validate_password(password, User(email=email, full_name=full_name))
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    except IntegrityError as exc:
        raise PartnerConflict(_("An account with this e-mail address already exists: log in first.")) from exc
    return user


def _mark_email_verified(user, email: str) -> None:
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        EmailAddress.objects.create(
            user=user,
            email=email.lower(),
            verified=True,
            primary=not EmailAddress.objects.filter(user=user).exists(),
        )
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


# --------------------------------------------------------------------------------------
# Invitations
# --------------------------------------------------------------------------------------
def invitation_create(
    *, partner: Partner, email: str, role: str, actor, send: bool = True
) -> tuple[Invitation, str]:
    """Invite ``email`` to the partner's team. Returns the invitation and the token (only in
    the e-mailed link from then on). Inviting the same address again replaces the old link."""
    actor_role = require_staff_perm_or_role(
        actor, partner, "partners.add_invitation", Membership.TEAM_MANAGER_ROLES
    )
    if role not in R.values:
        raise PartnerError(_("Choose a role."), field="role")
    if actor_role == R.ADMIN and role == R.OWNER:
        raise PartnerNotAllowed(_("Only an owner can change an owner or make someone an owner."))
    if partner.is_read_only:
        raise PartnerNotAllowed(_("This partner is suspended or closed: nothing can be changed."))
    User = get_user_model()
    email = User.objects.normalize_email(email or "").strip().lower()
    if not email:
        raise PartnerError(_("Enter an e-mail address."), field="email")
    if Membership.objects.filter(partner=partner, user__email__iexact=email).exists():
        raise PartnerConflict(_("%(email)s is already a member.") % {"email": email}, field="email")

    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        for previous in Invitation.objects.select_for_update().filter(
            partner=partner, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ):
            previous.revoked_at = now
            previous._history_user = actor
            previous._change_reason = gettext_noop("replaced by a new invitation")
            previous.save(update_fields=["revoked_at"])
        invitation = Invitation(
            partner=partner,
            email=email,
            role=role,
            token_hash=token_hash(token),
            invited_by=actor,
            expires_at=now + timedelta(days=settings.PARTNER_INVITATION_LIFETIME_DAYS),
        )
        invitation.full_clean(exclude=["token_hash"])
        invitation._history_user = actor
        invitation.save()
        if send:
            transaction.on_commit(lambda: _send_invitation(invitation, token))
    logger.info("invitation %s to partner %s created", invitation.pk, partner.slug)
    return invitation, token


def invitation_link(token: str) -> str:
    return site_url(reverse("partners:invitation", kwargs={"token": token}))


def _send_invitation(invitation: Invitation, token: str) -> None:
    send_bilingual(
        template="invitation",
        context={
            "invitation": invitation,
            "partner": invitation.partner,
            "role": Membership.Role(invitation.role).label,
            "link": invitation_link(token),
            "inviter": invitation.invited_by.get_full_name(),
        },
        to=[invitation.email],
    )


def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    require_staff_perm_or_role(
        actor, invitation.partner, "partners.change_invitation", Membership.TEAM_MANAGER_ROLES
    )
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.state != Invitation.State.PENDING:
            raise PartnerConflict(_("Only a pending invitation can be revoked."))
        locked.revoked_at = timezone.now()
        locked._history_user = actor
        locked.save(update_fields=["revoked_at"])
    invitation.revoked_at = locked.revoked_at
    return invitation


def invitation_accept(*, token: str, user=None, password: str = "", full_name: str = "") -> Membership:
    """Accept an invitation: a logged-in ``user`` must have the invited address; without a
    user, a new account is made with ``password``, its address verified (the link proves it).
    The token works once."""
    with transaction.atomic():
        invitation = invitation_ensure_usable(
            invitation=Invitation.objects.select_for_update()
            .select_related("partner")
            .filter(token_hash=token_hash(token or ""))
            .first()
        )
        if user is not None and user.is_authenticated:
            if user.email.lower() != invitation.email.lower():
                raise PartnerNotAllowed(
                    _("This invitation is for %(email)s; you are logged in as another user.")
                    % {"email": invitation.email}
                )
            _mark_email_verified(user, invitation.email)
        else:
            user = account_create_verified(email=invitation.email, password=password, full_name=full_name)
        if Membership.objects.filter(partner=invitation.partner, user=user).exists():
            raise PartnerConflict(
                _("You are already a member of %(partner)s.") % {"partner": invitation.partner}
            )
        membership = Membership(partner=invitation.partner, user=user, role=invitation.role)
        membership._history_user = user
        membership.save()
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation._history_user = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    logger.info("invitation %s accepted", invitation.pk)
    return membership
