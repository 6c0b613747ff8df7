"""What every page's layout needs from the request."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest

from partners.selectors import notification_unread_count

from .access import PartnerAccess, resolve


def navigation(request: HttpRequest) -> dict:
    """``portal_access``: the partner whose navigation the top bar shows. Partner pages have
    resolved it already (``partner_page`` sets ``request.portal_access``); on every other page a
    member opens — account, password, two-factor, error pages — it is resolved the same way,
    with one query, only when the layout asks for it (a page without the top bar costs none).
    A closed partner has no navigation to offer."""

    @cache
    def portal_access() -> PartnerAccess | None:
        known = getattr(request, "portal_access", None)
        user = getattr(request, "user", None)
        if known is not None or user is None or not user.is_authenticated:
            return known
        found = resolve(request)
        return None if found is None or found.partner.is_closed else found

    @cache
    def notifications_unread() -> int | None:
        """The bell's number: staff's own, or a member's in their active partner; one query,
        once per request, only on pages whose layout shows the bell."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if user.is_staff:  # the bank's staff read theirs in the console
            return notification_unread_count(user=user, partner=None)
        access = portal_access()
        if access is not None and not access.onboarding:
            return notification_unread_count(user=user, partner=access.partner)
        return None

    return {"portal_access": portal_access, "notifications_unread": notifications_unread}
