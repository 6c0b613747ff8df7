"""Who is told about participation: the partner's members when staff invite, approve or decline
and when a newer version of its scenario is published; staff when a partner leaves. Sent after
commit, with the scenario named and a link to it."""

from __future__ import annotations

import pytest

from partners.models import Notification
from scenarios import services
from scenarios.exceptions import ParticipationError
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(partner):
    return MembershipFactory(partner=partner, role="owner", user=UserFactory(email="alice@skyway.test")).user


def told(kind: str):
    return list(Notification.objects.filter(kind=kind))


def test_an_invitation_tells_the_partner_with_a_link_to_the_scenario(
    published, partner, alice, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.participation_invite(partner=partner, scenario=published, actor=manager)

    (notice,) = told("participation.invited")
    assert (notice.recipient, notice.partner) == (alice, partner)
    assert notice.params["scenario"] == "Travel Finance (travel-finance)"
    assert notice.link == "/portal/scenarios/travel-finance/"


def test_approval_and_decline_tell_the_partner_and_the_reason(
    published, partner, alice, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.participation_request(partner=partner, scenario=published, actor=alice)
        services.participation_decline(participation=first, actor=manager, reason="not yet")
        second = services.participation_request(partner=partner, scenario=published, actor=alice)
        services.participation_approve(participation=second, actor=manager)

    assert [n.params["reason"] for n in told("participation.declined")] == ["not yet"]
    assert [n.recipient for n in told("participation.approved")] == [alice]


def test_a_new_version_tells_partners_on_older_versions_only(
    joined, published, partner, other_partner, alice, manager, django_capture_on_commit_callbacks
):
    MembershipFactory(partner=other_partner, role="owner")  # not in the scenario: not told
    with django_capture_on_commit_callbacks(execute=True):
        services.scenario_publish(
            scenario=services.scenario_new_version(scenario=published, actor=manager), actor=manager
        )

    (notice,) = told("scenario.version_published")
    assert (notice.partner, notice.params["version"]) == (partner, "2")


def test_leaving_tells_the_staff_who_decide_participation(
    joined, partner, alice, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.participation_leave(participation=joined, actor=alice, reason="journey closed")

    notices = told("participation.left")
    assert manager in [n.recipient for n in notices]
    assert alice not in [n.recipient for n in notices]
    assert notices[0].params["reason"] == "journey closed"


def test_a_refused_leave_tells_nobody(joined, partner, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ParticipationError):
        services.participation_leave(participation=joined, actor=alice, reason="")

    assert not told("participation.left")
