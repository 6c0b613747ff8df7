"""Who acts: the ``actor`` of every service, and what ``None`` means.

Every service names the acting person ``actor`` (keyword-only). It is a user, or ``None`` for
the system itself: a scheduled task, a management command an operator runs on the server, the
demo seed. Views, admin actions and API views always pass the signed-in user, never ``None``.

The system holds no permission of its own: ``None`` passes a permission check only in a service
the system runs, which says so with ``system=True``; everywhere else it is refused like a user
without the permission. Four eyes (``core.four_eyes``): the system is nobody's maker and never
a checker. Written down in docs/architecture.md ("Who acts"). This module imports no app.
"""

from __future__ import annotations


def staff_may(actor, permission: str, *, system: bool = False) -> bool:
    """May ``actor`` do what ``permission`` guards? A person must be active staff holding it;
    the system (``None``) only where the service is one the system runs (``system=True``)."""
    if actor is None:
        return system
    return bool(actor.is_active and actor.is_staff and actor.has_perm(permission))
