"""What the payouts services share: who may act for a partner or for the bank, four eyes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.actors import staff_may
from core.four_eyes import Makers, maker_parts, may_check
from partners.models import Membership, Partner

from ..exceptions import PayoutMakerChecker, PayoutNotAllowed


def acting_for(actor, partner: Partner, *, permission: str, roles: frozenset[str]) -> bool:
    """May ``actor`` act for ``partner``: staff holding ``permission`` (answers True: the bank
    entered it on the partner's behalf), or a member in one of ``roles`` of an open partner
    (answers False). Anyone else is refused."""
    if staff_may(actor, permission):
        return True
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PayoutNotAllowed(_("You do not have permission to do this."))
    role = Membership.objects.filter(partner=partner, user=actor).values_list("role", flat=True).first()
    if role not in roles:
        raise PayoutNotAllowed(_("You do not have permission to do this."))
    if partner.is_read_only or partner.is_closed:
        raise PayoutNotAllowed(_("This partner is suspended or closed: nothing can be changed."))
    return False


def require_staff(actor, permission: str) -> None:
    if not staff_may(actor, permission):
        raise PayoutNotAllowed(_("You do not have permission to do this."))


def require_checker(actor, makers: Makers, what: str) -> None:
    """Four eyes: ``actor`` made none of it (superusers included; the system checks nothing)."""
    if may_check(actor, makers):
        return
    parts = maker_parts(actor, makers)
    raise PayoutMakerChecker(
        _("Maker-checker: %(what)s must be checked by someone other than who entered it (you %(parts)s).")
        % {"what": what, "parts": ", ".join(parts) or "—"}
    )


def owner_emails(partner: Partner) -> list[str]:
    """The e-mail addresses of the partner's active owners. One query."""
    return sorted(
        Membership.objects.filter(
            partner=partner, role=Membership.Role.OWNER, user__is_active=True
        ).values_list("user__email", flat=True)
    )
