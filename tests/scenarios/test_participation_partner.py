"""The partner's side of participation: its owner or an admin accepts or declines an
invitation (with a reason), moves to a newer published version, leaves (with a reason); the
member who acted is on the change row; other members, staff and bad moves are refused."""

from __future__ import annotations

import pytest

from core.domain import InvalidTransition
from scenarios import selectors, services
from scenarios.exceptions import ParticipationConflict, ParticipationError, ScenarioNotAllowed
from scenarios.models import Participation, ParticipationStatusChange
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def member(partner, role: str, email: str | None = None):
    return MembershipFactory(
        partner=partner, role=role, user=UserFactory(email=email or f"{role}@skyway.test")
    ).user


@pytest.fixture
def alice(partner):
    return member(partner, "owner", "alice@skyway.test")


@pytest.fixture
def invited(published, partner, manager):
    return services.participation_invite(partner=partner, scenario=published, actor=manager, note="welcome")


def last_change(participation) -> ParticipationStatusChange:
    return ParticipationStatusChange.objects.filter(participation=participation).order_by("-id").first()


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_an_owner_or_admin_accepts_an_invitation_and_is_recorded(invited, partner, role):
    person = member(partner, role)

    active = services.participation_accept(participation=invited, actor=person)

    assert active.status == "active"
    change = last_change(active)
    assert (change.from_status, change.to_status, change.changed_by) == ("invited", "active", person)


@pytest.mark.parametrize("role", ["developer", "finance", "viewer"])
def test_other_members_cannot_answer_an_invitation(invited, partner, role):
    person = member(partner, role)

    with pytest.raises(ScenarioNotAllowed):
        services.participation_accept(participation=invited, actor=person)
    with pytest.raises(ScenarioNotAllowed):
        services.participation_reject_invitation(participation=invited, actor=person, reason="no")
    assert Participation.objects.get(pk=invited.pk).status == "invited"


def test_a_member_of_another_partner_or_staff_cannot_answer(invited, other_partner, manager):
    charlie = member(other_partner, "owner", "charlie@other.test")

    for actor in (charlie, manager):
        with pytest.raises(ScenarioNotAllowed):
            services.participation_accept(participation=invited, actor=actor)


def test_declining_needs_a_reason_and_records_it(invited, alice):
    with pytest.raises(ParticipationError) as refused:
        services.participation_reject_invitation(participation=invited, actor=alice, reason="  ")
    assert refused.value.field == "reason"

    declined = services.participation_reject_invitation(
        participation=invited, actor=alice, reason="not our customers"
    )

    change = last_change(declined)
    assert (declined.status, change.changed_by, change.reason) == ("declined", alice, "not our customers")


def test_an_answered_invitation_cannot_be_answered_again(invited, alice):
    services.participation_accept(participation=invited, actor=alice)

    with pytest.raises(InvalidTransition):
        services.participation_reject_invitation(
            participation=invited, actor=alice, reason="changed our mind"
        )


def test_the_owner_moves_to_a_newer_version_and_both_moves_name_her(joined, published, manager, alice):
    v2 = services.scenario_publish(
        scenario=services.scenario_new_version(scenario=published, actor=manager), actor=manager
    )

    moved = services.participation_move(participation=joined, actor=alice)

    old = Participation.objects.get(pk=joined.pk)
    assert (old.status, moved.scenario, moved.moved_from) == ("ended", v2, old)
    assert last_change(old).changed_by == alice
    assert last_change(moved).changed_by == alice
    assert last_change(moved).reason == "Moved from version 1."


def test_a_developer_cannot_move(joined, published, manager, partner):
    services.scenario_publish(
        scenario=services.scenario_new_version(scenario=published, actor=manager), actor=manager
    )

    with pytest.raises(ScenarioNotAllowed):
        services.participation_move(participation=joined, actor=member(partner, "developer"))
    assert Participation.objects.get(pk=joined.pk).status == "active"


def test_moving_to_an_older_or_the_same_version_is_refused(joined, published, manager, alice):
    with pytest.raises(ParticipationConflict):
        services.participation_move(participation=joined, actor=alice, to=published)


def test_leaving_ends_the_participation_with_the_reason_and_the_member(joined, partner, alice):
    left = services.participation_leave(participation=joined, actor=alice, reason="the journey closed")

    change = last_change(left)
    assert (left.status, left.ended_at is not None) == ("ended", True)
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "active", "ended", alice, "the journey closed",
    )  # fmt: skip
    assert not selectors.scenario_list_for_partner(partner=partner).exists()


def test_leaving_needs_a_reason_a_manager_and_an_active_participation(joined, partner, published, alice):
    with pytest.raises(ParticipationError):
        services.participation_leave(participation=joined, actor=alice, reason="")
    with pytest.raises(ScenarioNotAllowed):
        services.participation_leave(participation=joined, actor=member(partner, "finance"), reason="x")
    with pytest.raises(ScenarioNotAllowed):
        services.participation_leave(participation=joined, actor=None, reason="x")
    assert Participation.objects.get(pk=joined.pk).status == "active"

    services.participation_leave(participation=joined, actor=alice, reason="done")
    with pytest.raises(InvalidTransition):
        services.participation_leave(participation=joined, actor=alice, reason="again")


def test_an_invitation_is_declined_not_left(invited, alice):
    with pytest.raises(InvalidTransition):
        services.participation_leave(participation=invited, actor=alice, reason="no")


def test_after_leaving_the_partner_may_ask_to_join_again(joined, partner, published, alice):
    services.participation_leave(participation=joined, actor=alice, reason="pause")

    again = services.participation_request(partner=partner, scenario=published, actor=alice)

    assert again.status == "requested"


def test_a_deactivated_owner_cannot_answer(invited, alice):
    alice.is_active = False
    alice.save()

    with pytest.raises(ScenarioNotAllowed):
        services.participation_accept(participation=invited, actor=alice)
