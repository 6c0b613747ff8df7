"""Participation: partners ask to join, staff invite or decide, only active partners take part,
one open participation per scenario, moves to newer versions, every change recorded."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from core.domain import InvalidTransition, NotAllowed
from scenarios import selectors, services
from scenarios.exceptions import ParticipationConflict, ParticipationError, PartnerNotActive
from scenarios.models import Participation, ParticipationStatusChange
from tests.factories import PartnerFactory, UserFactory
from tests.scenarios.factories import ParticipationFactory, ScenarioFactory

pytestmark = pytest.mark.django_db


def test_a_request_waits_for_staff_and_approval_activates_it(published, partner, manager):
    alice = UserFactory(email="alice@skyway.example")

    requested = services.participation_request(
        partner=partner, scenario=published, actor=alice, channel="mini_program"
    )
    active = services.participation_approve(
        participation=requested, actor=manager, reason="fits the travel journey"
    )

    assert requested.status == "requested"
    assert (active.status, active.channel, active.requested_by) == ("active", "mini_program", alice)
    assert active.started_at is not None
    changes = list(ParticipationStatusChange.objects.filter(participation=active).order_by("id"))
    assert [(c.from_status, c.to_status, c.changed_by) for c in changes] == [
        ("", "requested", alice),
        ("requested", "active", manager),
    ]
    assert changes[-1].reason == "fits the travel journey"


def test_staff_decline_a_request_and_the_partner_may_ask_again(published, partner, manager):
    requested = services.participation_request(partner=partner, scenario=published)

    declined = services.participation_decline(participation=requested, actor=manager, reason="not yet")
    again = services.participation_request(partner=partner, scenario=published)

    assert declined.status == "declined"
    assert again.status == "requested"


def test_an_invitation_becomes_active_when_the_partner_accepts(published, partner, manager):
    invited = services.participation_invite(partner=partner, scenario=published, actor=manager)

    active = services.participation_accept(participation=invited)

    assert (invited.status, active.status) == ("invited", "active")


def test_a_partner_may_turn_an_invitation_down(published, partner, manager):
    invited = services.participation_invite(partner=partner, scenario=published, actor=manager)

    assert services.participation_reject_invitation(participation=invited, reason="no").status == "declined"


@pytest.mark.parametrize("status", ["draft", "submitted", "approved", "suspended", "terminated"])
def test_only_an_active_partner_takes_part(published, manager, status):
    partner = PartnerFactory(status=status)

    with pytest.raises(PartnerNotActive):
        services.participation_request(partner=partner, scenario=published)
    with pytest.raises(PartnerNotActive):
        services.participation_invite(partner=partner, scenario=published, actor=manager)
    assert not Participation.objects.exists()


def test_a_partner_suspended_after_asking_cannot_be_approved(published, partner, manager):
    requested = services.participation_request(partner=partner, scenario=published)
    partner.status = "suspended"
    partner.save()

    with pytest.raises(PartnerNotActive):
        services.participation_approve(participation=requested, actor=manager)
    assert Participation.objects.get(pk=requested.pk).status == "requested"


@pytest.mark.parametrize("status", ["draft", "retired"])
def test_only_a_published_scenario_can_be_joined(partner, status):
    scenario = ScenarioFactory(status=status)

    with pytest.raises(ParticipationError) as caught:
        services.participation_request(partner=partner, scenario=scenario)

    assert caught.value.field == "scenario"


def test_new_partners_join_the_latest_published_version(published, partner, manager):
    v2 = services.scenario_publish(
        scenario=services.scenario_new_version(scenario=published, actor=manager), actor=manager
    )

    with pytest.raises(ParticipationConflict, match="Version 2"):
        services.participation_request(partner=partner, scenario=published)
    assert services.participation_request(partner=partner, scenario=v2).scenario == v2


def test_a_scenario_reserved_for_a_partner_is_closed_to_others(partner, other_partner):
    reserved = ScenarioFactory(reserved_for=partner)

    with pytest.raises(ParticipationError):
        services.participation_request(partner=other_partner, scenario=reserved)
    assert services.participation_request(partner=partner, scenario=reserved).status == "requested"


def test_a_partner_has_one_open_participation_per_scenario(joined, published, partner, manager):
    with pytest.raises(ParticipationConflict):
        services.participation_request(partner=partner, scenario=published)
    with pytest.raises(ParticipationConflict):
        services.participation_invite(partner=partner, scenario=published, actor=manager)
    # The database is the last line: a second open row for the same code is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        ParticipationFactory(partner=partner, scenario=published, status="requested")


def test_staff_without_the_permission_cannot_decide(published, partner, staff_roles):
    outsider = UserFactory(is_staff=True)
    requested = services.participation_request(partner=partner, scenario=published)

    with pytest.raises(NotAllowed):
        services.participation_approve(participation=requested, actor=outsider)
    with pytest.raises(NotAllowed):
        services.participation_invite(partner=PartnerFactory(), scenario=published, actor=outsider)


def test_partner_managers_may_decide(published, partner, staff_roles):
    checker = UserFactory(is_staff=True)
    checker.groups.add(staff_roles["Partner managers"])
    requested = services.participation_request(partner=partner, scenario=published)

    assert services.participation_approve(participation=requested, actor=checker).status == "active"


@pytest.mark.parametrize(
    "service", ["participation_approve", "participation_decline", "participation_accept"]
)
def test_decisions_on_an_active_participation_are_refused(joined, manager, service):
    # Staff decide requests; the partner (here the system acting for it) answers invitations.
    kwargs = {"participation": joined, "actor": None if service == "participation_accept" else manager}

    with pytest.raises(InvalidTransition):
        getattr(services, service)(**kwargs)


def test_ending_closes_the_participation_and_hides_the_scenario(joined, partner, manager, published):
    ended = services.participation_end(participation=joined, actor=manager, reason="contract over")

    assert (ended.status, ended.ended_at is not None) == ("ended", True)
    with pytest.raises(InvalidTransition):
        services.participation_end(participation=ended, actor=manager)
    assert not selectors.scenario_list_for_partner(partner=partner).exists()


def test_moving_needs_a_newer_published_version(joined, published, manager):
    with pytest.raises(ParticipationConflict, match="newest"):
        services.participation_move(participation=joined)

    draft = services.scenario_new_version(scenario=published, actor=manager)
    with pytest.raises(ParticipationConflict):
        services.participation_move(participation=joined)  # a draft is not a version to move to
    v2 = services.scenario_publish(scenario=draft, actor=manager)

    moved = services.participation_move(participation=joined)

    old = Participation.objects.get(pk=joined.pk)
    assert (moved.scenario, moved.status, moved.moved_from) == (v2, "active", old)
    assert old.status == "ended"
    assert old.status_changes.first().reason == "Moved to version 2."


def test_only_an_active_participation_moves(published, partner):
    requested = services.participation_request(partner=partner, scenario=published)

    with pytest.raises(InvalidTransition):
        services.participation_move(participation=requested)


def test_a_suspended_partner_cannot_move(joined, published, partner, manager):
    services.scenario_publish(
        scenario=services.scenario_new_version(scenario=published, actor=manager), actor=manager
    )
    partner.status = "suspended"
    partner.save()

    with pytest.raises(PartnerNotActive):
        services.participation_move(participation=joined)
