"""What every scenarios service shares: the permission check."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.actors import staff_may
from scenarios.exceptions import ScenarioNotAllowed


def require(actor, permission: str, *, system: bool = False) -> None:
    """``actor`` is an active staff user holding ``permission``; the system (``None``) only
    where the service is one it runs (``system=True``). See ``core.actors``."""
    if not staff_may(actor, permission, system=system):
        raise ScenarioNotAllowed(_("You do not have permission to do this."))
