"""Who may do what: the checks every partners service runs on its acting user.

Staff act through Django permissions (the groups of ``portal.roles``); partner users act
through their membership role. The admin checks the same permissions before it calls a
service, so a page and a service never disagree.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.actors import staff_may

from ..exceptions import PartnerNotAllowed
from ..models import Membership, Partner


def has_staff_perm(actor, perm: str) -> bool:
    """An active staff member holding ``perm``. The system (``None``) holds none: a service it
    runs lets it through before asking (``core.actors``)."""
    return staff_may(actor, perm)


def require_staff_perm(actor, perm: str) -> None:
    if not has_staff_perm(actor, perm):
        raise PartnerNotAllowed(_("You do not have permission to do this."))


def member_role(actor, partner: Partner) -> str | None:
    """The actor's role in the partner's team, or None. One query."""
    if not actor or not actor.is_authenticated or not actor.is_active:
        return None
    return Membership.objects.filter(partner=partner, user=actor).values_list("role", flat=True).first()


def require_staff_perm_or_role(actor, partner: Partner, perm: str, roles) -> str | None:
    """Staff with ``perm`` pass (returns None); else the actor's role must be one of ``roles``
    in an open partner (returns the role)."""
    if has_staff_perm(actor, perm):
        return None
    role = member_role(actor, partner)
    if role is None or role not in roles:
        raise PartnerNotAllowed(_("You do not have permission to do this."))
    if partner.is_read_only:
        raise PartnerNotAllowed(_("This partner is suspended or closed: nothing can be changed."))
    return role
