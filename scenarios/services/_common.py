"""What every scenarios service shares: the permission check and the change-row writer."""

from __future__ import annotations

from django.utils.translation import gettext as _

from scenarios.exceptions import ScenarioNotAllowed


def require(actor, permission: str) -> None:
    """``by`` is a staff user who must hold ``permission``, or ``None`` for the system itself."""
    if actor is not None and not actor.has_perm(permission):
        raise ScenarioNotAllowed(_("You do not have permission to do this."))
