"""Writes of participation: partners request to join, staff invite, approve or decline, either
side ends it, a partner moves to a newer published version.

Only an active partner participates, and only in the latest published version of a scenario
(older published versions keep serving the partners already on them). The database holds one
open participation (requested, invited or active) per partner and scenario code. Every status
move writes a ``ParticipationStatusChange``.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.four_eyes import makers_add, may_check
from core.transitions import change_row_write, transition
from partners.models import Membership
from partners.notifications import notify
from partners.services import webhook_event_publish
from scenarios.exceptions import (
    ParticipationConflict,
    ParticipationError,
    ParticipationStatusInvalid,
    PartnerNotActive,
    ScenarioNotAllowed,
)
from scenarios.models import Participation, ParticipationStatusChange, Scenario
from scenarios.selectors import terms_forget

from ._common import require

logger = logging.getLogger(__name__)

PStatus = Participation.Status
ALLOWED_MOVES: dict[str, frozenset[str]] = {
    PStatus.REQUESTED: frozenset({PStatus.ACTIVE, PStatus.DECLINED, PStatus.ENDED}),
    PStatus.INVITED: frozenset({PStatus.ACTIVE, PStatus.DECLINED, PStatus.ENDED}),
    PStatus.ACTIVE: frozenset({PStatus.ENDED}),
    PStatus.DECLINED: frozenset(),
    PStatus.ENDED: frozenset(),
}
DECIDE = "scenarios.decide_participation"
# Who answers for the partner: accepts or declines an invitation, moves to a newer version, leaves.
PARTNER_DECIDING_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)


def _publish_change(participation: Participation, from_status: str, to_status: str) -> None:
    """Tell the partner's webhooks (``participation.changed``); sent after commit."""
    webhook_event_publish(
        partner=participation.partner,
        event="participation.changed",
        payload={
            "scenario": participation.scenario_code,
            "version": participation.scenario.version,
            "from": from_status or None,
            "to": to_status,
        },
    )


def _require_active_partner(partner) -> None:
    if partner.status != "active":
        raise PartnerNotActive(_("Only an active partner can take part in scenarios."), field="partner")


def _require_joinable(partner, scenario: Scenario) -> None:
    """The latest published version, open to this partner."""
    if scenario.status != Scenario.Status.PUBLISHED or (
        scenario.reserved_for_id is not None and scenario.reserved_for_id != partner.pk
    ):
        raise ParticipationError(_("This scenario is not open for joining."), field="scenario")
    latest = (
        Scenario.objects.filter(code=scenario.code, status=Scenario.Status.PUBLISHED)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if latest != scenario.version:
        raise ParticipationConflict(
            _("Version %(version)d is the current version of this scenario: join that one.")
            % {"version": latest},
            field="scenario",
        )


def _open(
    *, partner, scenario: Scenario, status: str, actor, channel: str, note: str, reason: str
) -> Participation:
    _require_active_partner(partner)
    _require_joinable(partner, scenario)
    if Participation.objects.filter(
        partner=partner, scenario_code=scenario.code, status__in=Participation.OPEN
    ).exists():
        raise ParticipationConflict(
            _("%(partner)s already takes part in, or has asked to join, this scenario.")
            % {"partner": partner},
            field="scenario",
        )
    participation = Participation(
        partner=partner,
        scenario=scenario,
        scenario_code=scenario.code,
        status=status,
        channel=channel,
        note=note,
        requested_by=actor,
    )
    participation._history_user = actor
    try:
        with transaction.atomic():  # the constraint is the last line against a concurrent twin
            participation.save()
    except IntegrityError as exc:
        raise ParticipationConflict(
            _("%(partner)s already takes part in, or has asked to join, this scenario.")
            % {"partner": partner},
            field="scenario",
        ) from exc
    change_row_write(
        ParticipationStatusChange, participation, from_status="", to_status=status, actor=actor, reason=reason
    )
    _publish_change(participation, "", status)
    return participation


@transaction.atomic
def participation_request(
    *, partner, scenario: Scenario, actor=None, channel: str = Participation.Channel.APP, note: str = ""
) -> Participation:
    """The partner asks to join a published scenario; staff approve or decline."""
    return _open(
        partner=partner,
        scenario=scenario,
        status=PStatus.REQUESTED,
        actor=actor,
        channel=channel,
        note=note,
        reason=note,
    )


@transaction.atomic
def participation_invite(
    *, partner, scenario: Scenario, actor, channel: str = Participation.Channel.APP, note: str = ""
) -> Participation:
    """Staff (or the system: the demo seed) invite a partner to a published scenario; the
    partner accepts or declines."""
    require(actor, DECIDE, system=True)
    participation = _open(
        partner=partner,
        scenario=scenario,
        status=PStatus.INVITED,
        actor=actor,
        channel=channel,
        note=note,
        reason=note,
    )
    notify(kind="participation.invited", partner=partner, target=participation, params=_params(participation))
    return participation


def _not_the_requester(participation: Participation, actor) -> None:
    """Four eyes: whoever asked to join never decides the request, not even a superuser; and a
    person decides it (the system decides nothing)."""
    makers: dict[int, list[str]] = {}
    makers_add(makers, participation.requested_by_id, _("asked for it"))
    if not may_check(actor, makers):
        raise ScenarioNotAllowed(
            _("Maker-checker: you asked for this participation, so another staff member decides it."),
            code="maker_checker",
        )


@transaction.atomic
def participation_status_change(
    *,
    participation: Participation,
    to: str,
    actor,
    reason: str = "",
    staff: bool = False,
    expect: str | None = None,
) -> Participation:
    """Move ``participation`` to ``to`` if the allowed-moves map permits it (and, with ``expect``,
    only from that status); ``staff`` moves need the decide permission. Becoming active needs an
    active partner and a published version."""
    if staff:
        require(actor, DECIDE)
    participation = (
        Participation.objects.select_for_update()
        .select_related("partner", "scenario")
        .get(pk=participation.pk)
    )
    current = participation.status
    if staff and current == PStatus.REQUESTED:
        _not_the_requester(participation, actor)
    if expect is not None and current != expect:
        raise ParticipationStatusInvalid(
            _("Only a participation that is %(status)s can do this.")
            % {"status": PStatus(expect).label.lower()},
            field="status",
        )
    starting = to == PStatus.ACTIVE
    transition(
        participation,
        to,
        moves=ALLOWED_MOVES,
        actor=actor,
        reason=reason,
        change_model=ParticipationStatusChange,
        error=ParticipationStatusInvalid,
        check=_startable if starting else None,
        changes={"started_at" if starting else "ended_at": timezone.now()},
    )
    terms_forget()  # an ended participation is refused on the very next quote, in every process
    _publish_change(participation, current, to)
    logger.info("participation %s: %s -> %s", participation.pk, current, to)
    return participation


def _startable(participation: Participation) -> None:
    """Becoming active needs an active partner and a still-published version."""
    _require_active_partner(participation.partner)
    if participation.scenario.status != Scenario.Status.PUBLISHED:
        raise ParticipationError(_("This scenario version is no longer published."), field="scenario")


def _params(participation: Participation, **more: str) -> dict[str, str]:
    """A notification's parameters: the scenario's name (the reader's language is not known
    here: its English name, the code beside it) and ``more``."""
    scenario = participation.scenario
    return {"scenario": f"{scenario.name} ({scenario.code})", **more}


@transaction.atomic
def participation_approve(*, participation: Participation, actor, reason: str = "") -> Participation:
    """Staff approve a partner's request; the partner is told."""
    participation = participation_status_change(
        participation=participation,
        to=PStatus.ACTIVE,
        actor=actor,
        reason=reason,
        staff=True,
        expect=PStatus.REQUESTED,
    )
    notify(
        kind="participation.approved",
        partner=participation.partner,
        target=participation,
        params=_params(participation),
    )
    return participation


@transaction.atomic
def participation_decline(*, participation: Participation, actor, reason: str = "") -> Participation:
    """Staff decline a partner's request; the partner is told why."""
    participation = participation_status_change(
        participation=participation,
        to=PStatus.DECLINED,
        actor=actor,
        reason=reason,
        staff=True,
        expect=PStatus.REQUESTED,
    )
    notify(
        kind="participation.declined",
        partner=participation.partner,
        target=participation,
        params=_params(participation, reason=reason),
    )
    return participation


def _require_partner_manager(participation: Participation, actor) -> None:
    """A person answering for the partner is its owner or an admin; the system (``None``: the
    demo seed) may act for it too."""
    if actor is None:
        return
    role = (
        Membership.objects.filter(partner_id=participation.partner_id, user=actor, user__is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    if role not in PARTNER_DECIDING_ROLES:
        raise ScenarioNotAllowed(
            _("Only the partner's owner and admins answer invitations, move to a new version or leave.")
        )


def _require_reason(reason: str, message: str) -> str:
    if not (reason or "").strip():
        raise ParticipationError(message, field="reason")
    return reason.strip()


def participation_accept(*, participation: Participation, actor=None) -> Participation:
    """The partner (its owner or an admin) accepts a staff invitation."""
    _require_partner_manager(participation, actor)
    return participation_status_change(
        participation=participation, to=PStatus.ACTIVE, actor=actor, expect=PStatus.INVITED
    )


def participation_reject_invitation(
    *, participation: Participation, actor=None, reason: str
) -> Participation:
    """The partner (its owner or an admin) turns a staff invitation down, saying why."""
    _require_partner_manager(participation, actor)
    reason = _require_reason(reason, _("Say why you decline the invitation."))
    return participation_status_change(
        participation=participation, to=PStatus.DECLINED, actor=actor, reason=reason, expect=PStatus.INVITED
    )


def participation_leave(*, participation: Participation, actor, reason: str) -> Participation:
    """The partner (its owner or an admin) leaves a scenario it actively takes part in, saying
    why: the participation ends (a change row names the member). Its API keys keep working;
    offers for the scenario answer 404 from now on, and the transactions it reports are taken
    only for sales that occurred before it left (see docs/api.md)."""
    if actor is None:
        raise ScenarioNotAllowed(_("A member of the partner leaves a scenario, not the system."))
    _require_partner_manager(participation, actor)
    reason = _require_reason(reason, _("Say why you leave this scenario."))
    with transaction.atomic():
        participation = participation_status_change(
            participation=participation, to=PStatus.ENDED, actor=actor, reason=reason, expect=PStatus.ACTIVE
        )
        # Staff who decide participation are told (``participation.left``).
        notify(
            kind="participation.left",
            partner=participation.partner,
            target=participation,
            params=_params(participation, reason=reason, partner=participation.partner.display_name),
        )
    return participation


def participation_end(*, participation: Participation, actor, reason: str = "") -> Participation:
    """Staff end an open participation (a partner leaves through ``participation_leave``)."""
    return participation_status_change(
        participation=participation, to=PStatus.ENDED, actor=actor, reason=reason, staff=True
    )


@transaction.atomic
def participation_move(
    *, participation: Participation, actor=None, to: Scenario | None = None
) -> Participation:
    """Move an active participation to a newer published version of the same scenario (the
    latest unless ``to`` is given): the old one ends, a new active one starts from it."""
    _require_partner_manager(participation, actor)
    participation = (
        Participation.objects.select_for_update()
        .select_related("partner", "scenario")
        .get(pk=participation.pk)
    )
    if not participation.is_active:
        raise ParticipationStatusInvalid(_("Only an active participation can move."), field="status")
    _require_active_partner(participation.partner)
    current = participation.scenario
    target = to or (
        Scenario.objects.filter(code=current.code, status=Scenario.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if target is None or target.code != current.code or target.status != Scenario.Status.PUBLISHED:
        raise ParticipationError(_("Choose a published version of the same scenario."), field="scenario")
    if target.version <= current.version:
        raise ParticipationConflict(
            _("Version %(version)d is already the newest published version.") % {"version": current.version},
            field="scenario",
        )
    reason = _("Moved to version %(version)d.") % {"version": target.version}
    participation_status_change(participation=participation, to=PStatus.ENDED, actor=actor, reason=reason)
    moved = Participation(
        partner=participation.partner,
        scenario=target,
        scenario_code=target.code,
        status=PStatus.ACTIVE,
        channel=participation.channel,
        note=participation.note,
        requested_by=actor,
        moved_from=participation,
        started_at=timezone.now(),
    )
    moved._history_user = actor
    moved.save()
    terms_forget()
    change_row_write(
        ParticipationStatusChange,
        moved,
        from_status="",
        to_status=PStatus.ACTIVE,
        actor=actor,
        reason=_("Moved from version %(version)d.") % {"version": current.version},
    )
    _publish_change(moved, "", PStatus.ACTIVE)
    return moved
