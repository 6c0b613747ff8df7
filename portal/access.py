"""The one access helper of the partner portal.

Every partner page is decorated with ``partner_page(section)``. It resolves the user's active
partner (a user in several teams picks one; the choice lives in the session), checks the role
for the page, and hands the view a ``PartnerAccess``:

- no membership at all: the user is sent to the onboarding wizard;
- a partner still onboarding (draft … approved, rejected): the application status page, except
  on the sandbox's pages (keys, webhooks: ``sandbox=True``) once the application is submitted;
- a member without the role for the page: 403;
- a suspended partner: pages render read-only with a banner; every change is refused (403);
- a terminated partner: the portal is closed (a page saying so, 403).

Objects of another partner are never reachable: views load them through selectors that take
``access.partner``, so a foreign id is a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from partners.models import Membership, Partner

from .selectors import user_memberships

SESSION_KEY = "portal_partner_id"

R = Membership.Role
ALL_ROLES = frozenset(R.values)
MANAGERS = frozenset({R.OWNER, R.ADMIN})


@dataclass(frozen=True)
class Section:
    """Who sees a part of the portal, and who may change things in it; ``page`` and ``action``
    name them in the reason a refused member reads ("Your role (Viewer) cannot …")."""

    view: frozenset[str]
    change: frozenset[str]
    page: str = ""
    action: str = ""


# The role matrix: developers keys, webhooks and usage; finance statements and disputes;
# viewers read only; owners and admins everything, except that only owners and finance
# accept agreements.
SECTIONS: dict[str, Section] = {
    "dashboard": Section(view=ALL_ROLES, change=frozenset(), page=_("the dashboard")),
    "scenarios": Section(
        view=ALL_ROLES,
        change=MANAGERS | {R.DEVELOPER},
        page=_("the scenarios"),
        action=_("ask to join scenarios"),
    ),
    # Answering for the partner in a scenario: accept or decline an invitation, move to a
    # newer version, leave. Everyone may read what a new version changes.
    "participation": Section(
        view=ALL_ROLES,
        change=MANAGERS,
        page=_("the scenarios"),
        action=_("answer invitations, move to a new version or leave a scenario"),
    ),
    "keys": Section(
        view=MANAGERS | {R.DEVELOPER, R.VIEWER},
        change=MANAGERS | {R.DEVELOPER},
        page=_("the API keys"),
        action=_("create, rotate or revoke API keys"),
    ),
    "webhooks": Section(
        view=MANAGERS | {R.DEVELOPER, R.VIEWER},
        change=MANAGERS | {R.DEVELOPER},
        page=_("the webhooks"),
        action=_("change webhooks"),
    ),
    # The sandbox (sbxdata): everyone who works with keys or money reads it and runs a
    # simulated settlement; only managers reset it.
    "sandbox": Section(
        view=MANAGERS | {R.DEVELOPER, R.FINANCE, R.VIEWER},
        change=MANAGERS,
        page=_("the sandbox"),
        action=_("reset the sandbox"),
    ),
    "usage": Section(view=MANAGERS | {R.DEVELOPER, R.VIEWER}, change=frozenset(), page=_("the API usage")),
    "statements": Section(
        view=MANAGERS | {R.FINANCE, R.VIEWER},
        change=MANAGERS | {R.FINANCE},
        page=_("the statements"),
        action=_("dispute statements"),
    ),
    # Agreements: read by whoever reads statements; accepted or declined only by an owner or
    # finance (``revenue.services.agreements.ACCEPTING_ROLES`` checks the same).
    "agreements": Section(
        view=MANAGERS | {R.FINANCE, R.VIEWER},
        change=frozenset({R.OWNER, R.FINANCE}),
        page=_("the agreements"),
        action=_("accept or decline agreements"),
    ),
    # The partner's own offer funnel (offers, taken, gross): read by every member.
    "insights": Section(view=ALL_ROLES, change=frozenset(), page=_("the insights")),
    "team": Section(view=ALL_ROLES, change=MANAGERS, page=_("the team"), action=_("manage the team")),
    "docs": Section(view=ALL_ROLES, change=frozenset(), page=_("the getting-started guide")),
    # Everyone reads their own notifications and chooses how they come (``personal`` pages).
    "notifications": Section(view=ALL_ROLES, change=ALL_ROLES, page=_("your notifications")),
    # The payee account: read by whoever reads statements, changed only by an owner or
    # finance (``payouts.services.accounts.PAYEE_ROLES`` checks the same).
    "payee": Section(
        view=MANAGERS | {R.FINANCE, R.VIEWER},
        change=frozenset({R.OWNER, R.FINANCE}),
        page=_("the payee account"),
        action=_("change the payee account"),
    ),
    "application": Section(
        view=ALL_ROLES, change=MANAGERS, page=_("the application"), action=_("change the application")
    ),
}

ONBOARDING_STATUSES = Partner.PRE_LIVE_STATUSES


@dataclass(frozen=True)
class PartnerAccess:
    """What a partner page knows about who is asking."""

    partner: Partner
    membership: Membership
    memberships: tuple[Membership, ...]

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def read_only(self) -> bool:
        return self.partner.is_read_only

    @property
    def visible(self) -> frozenset[str]:
        """The sections this member sees (the navigation shows these)."""
        return frozenset(name for name, section in SECTIONS.items() if self.role in section.view)

    @property
    def changeable(self) -> frozenset[str]:
        """The sections this member may change things in (none while suspended)."""
        if self.read_only:
            return frozenset()
        return frozenset(name for name, section in SECTIONS.items() if self.role in section.change)

    @property
    def onboarding(self) -> bool:
        return self.partner.status in ONBOARDING_STATUSES

    @property
    def sandbox_only(self) -> bool:
        """Applied but not live yet: the keys and webhooks pages serve the sandbox only."""
        return self.onboarding and self.partner.accepts_sandbox_traffic

    def can_view(self, section: str) -> bool:
        return self.role in SECTIONS[section].view

    def can_change(self, section: str) -> bool:
        return not self.read_only and self.role in SECTIONS[section].change

    def require_view(self, section: str) -> None:
        if not self.can_view(section):
            raise PermissionDenied(
                _("Your role (%(role)s) cannot open %(page)s. Ask an owner or an admin of your team.")
                % {"role": self.membership.get_role_display(), "page": SECTIONS[section].page}
            )

    def require_change(self, section: str) -> None:
        """The rule behind every change: views call it, templates ask ``changeable`` (the same
        test), so nobody is offered a button that answers 403."""
        if self.can_change(section):
            return
        if self.read_only:
            raise PermissionDenied(_("This partner is suspended: nothing can be changed."))
        raise PermissionDenied(
            _("Your role (%(role)s) cannot %(action)s. Ask an owner or an admin of your team.")
            % {"role": self.membership.get_role_display(), "action": SECTIONS[section].action or _("do this")}
        )


def resolve(request: HttpRequest) -> PartnerAccess | None:
    """The active membership of the user (session choice, else the first); None without any.
    One query."""
    memberships = tuple(user_memberships(user=request.user))
    if not memberships:
        return None
    chosen = request.session.get(SESSION_KEY)
    active = next((m for m in memberships if m.partner_id == chosen), memberships[0])
    return PartnerAccess(partner=active.partner, membership=active, memberships=memberships)


def choose(request: HttpRequest, partner_id: int) -> bool:
    """Make ``partner_id`` the active partner if the user belongs to it."""
    if any(m.partner_id == partner_id for m in user_memberships(user=request.user)):
        request.session[SESSION_KEY] = partner_id
        return True
    return False


def partner_page(
    section: str,
    *,
    change: bool = False,
    onboarding: bool = False,
    personal: bool = False,
    sandbox: bool = False,
) -> Callable:
    """Decorate a portal view: ``view(request, access, *args)``. ``change`` (or any POST)
    needs the section's change roles; ``onboarding`` pages also serve partners still applying;
    ``sandbox`` pages also serve partners that applied and are not live yet
    (``access.sandbox_only``: the page offers the sandbox only); ``personal`` pages change only
    the member's own things (their notifications), which any member may do, also while the
    partner is suspended."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            access = resolve(request)
            if access is None:
                return redirect("portal:apply")
            partner = access.partner
            if partner.is_closed:
                return render(request, "portal/closed.html", {"access": access}, status=403)
            if access.onboarding and not onboarding and not (sandbox and access.sandbox_only):
                return redirect("portal:application")
            # Set before the checks: a refusal's page shows the partner's navigation too.
            request.portal_access = access
            access.require_view(section)
            if (change or request.method == "POST") and not personal:
                access.require_change(section)
            return view(request, access, *args, **kwargs)

        wrapped.portal_section = section
        return wrapped

    return decorator
