"""The approvals inbox lists every kind of pending item with its maker, decides through the
owning app's services, and never lets the maker decide."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import Partner, PartnerStatusChange
from scenarios.models import Participation
from tests.factories import PartnerFactory, UserFactory
from tests.scenarios.factories import ParticipationFactory, ScenarioFactory


def submitted_partner(slug: str, *, actor, status: str = "submitted") -> Partner:
    partner = PartnerFactory(slug=slug, status=status)
    PartnerStatusChange.objects.create(
        partner=partner, from_status="draft", to_status="submitted", changed_by=actor
    )
    if status == "under_review":
        PartnerStatusChange.objects.create(
            partner=partner, from_status="submitted", to_status="under_review", changed_by=None
        )
    return partner


def requested(partner_slug: str, *, actor) -> Participation:
    return ParticipationFactory(
        partner=PartnerFactory(slug=partner_slug),
        scenario=ScenarioFactory(),
        status="requested",
        requested_by=actor,
    )


def _items(response, kind):
    return next(s for s in response.context["sections"] if s.kind == kind).items


@pytest.mark.django_db
def test_it_lists_partner_reviews_and_participation_requests_with_their_maker(staff_client, alice):
    partner = submitted_partner("applicant", actor=alice)
    participation = requested("joiner", actor=alice)
    PartnerFactory(slug="settled")  # active: nothing to decide
    ParticipationFactory(status="active")
    response = staff_client.get("/staff/inbox/")
    partners, participations = _items(response, "partner"), _items(response, "participation")
    assert [(i.pk, i.maker) for i in partners] == [(partner.pk, alice.email)]
    assert [(i.pk, i.maker) for i in participations] == [(participation.pk, alice.email)]
    assert [d.name for d in partners[0].decisions] == ["start_review"]
    assert [d.name for d in participations[0].decisions] == ["approve", "decline"]


@pytest.mark.django_db
def test_a_decision_goes_through_the_owning_service_and_leaves_a_change_row(staff_client, staff, alice):
    partner = submitted_partner("applicant", actor=alice)
    response = staff_client.post(f"/staff/inbox/partner/{partner.pk}/start_review/", {"reason": "docs in"})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.status == "under_review"
    change = partner.status_changes.first()
    assert (change.to_status, change.changed_by, change.reason) == ("under_review", staff, "docs in")


@pytest.mark.django_db
def test_participation_requests_are_approved_and_declined(staff_client, staff, alice):
    first, second = requested("one", actor=alice), requested("two", actor=alice)
    staff_client.post(f"/staff/inbox/participation/{first.pk}/approve/")
    staff_client.post(f"/staff/inbox/participation/{second.pk}/decline/", {"reason": "not a fit"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("active", "declined")


@pytest.mark.django_db
def test_it_refuses_self_approval_and_hides_the_buttons_from_the_maker(staff_client, staff, other_staff):
    partner = submitted_partner("made-by-sam", actor=staff, status="under_review")
    participation = requested("joined-by-sam", actor=staff)
    page = staff_client.get("/staff/inbox/").content.decode()
    assert f"/staff/inbox/partner/{partner.pk}/" not in page
    assert f"/staff/inbox/participation/{participation.pk}/" not in page
    assert page.count("data-self-approval") == 2

    response = staff_client.post(f"/staff/inbox/participation/{participation.pk}/approve/", follow=True)
    assert "another staff member must decide it" in response.content.decode()
    staff_client.post(f"/staff/inbox/partner/{partner.pk}/reject/", {"reason": "mine"})
    participation.refresh_from_db()
    partner.refresh_from_db()
    assert (participation.status, partner.status) == ("requested", "under_review")


@pytest.mark.django_db
def test_another_staff_member_may_decide_what_sam_made(client, staff, other_staff):
    participation = requested("joined-by-sam", actor=staff)
    client.force_login(other_staff)
    client.post(f"/staff/inbox/participation/{participation.pk}/approve/")
    participation.refresh_from_db()
    assert participation.status == "active"


@pytest.mark.django_db
def test_staff_without_the_permission_are_refused_by_the_owning_service(client, alice):
    participation = requested("joiner", actor=alice)
    client.force_login(UserFactory(email="intern@bank.example", is_staff=True))
    response = client.post(f"/staff/inbox/participation/{participation.pk}/approve/", follow=True)
    assert "permission" in response.content.decode()
    participation.refresh_from_db()
    assert participation.status == "requested"


@pytest.mark.django_db
def test_unknown_decisions_and_decided_items_are_refused(staff_client, alice):
    partner = submitted_partner("applicant", actor=alice)
    response = staff_client.post(f"/staff/inbox/partner/{partner.pk}/terminate/", follow=True)
    assert "not available" in response.content.decode()
    active = PartnerFactory(slug="done")
    response = staff_client.post(f"/staff/inbox/partner/{active.pk}/start_review/", follow=True)
    assert "no longer waits" in response.content.decode()
    partner.refresh_from_db()
    assert partner.status == "submitted"


@pytest.mark.django_db
def test_the_inbox_costs_the_same_queries_at_two_sizes(staff_client, alice, django_assert_num_queries):
    submitted_partner("p0", actor=alice)
    requested("r0", actor=alice)
    with CaptureQueriesContext(connection) as ctx:
        staff_client.get("/staff/inbox/")
    for n in range(1, 6):
        submitted_partner(f"p{n}", actor=alice, status="under_review")
        requested(f"r{n}", actor=alice)
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = staff_client.get("/staff/inbox/")
    assert len(_items(response, "partner")) == 6


@pytest.mark.django_db
def test_approving_what_one_submitted_is_refused(staff_client, staff, other_staff):
    from tests.partners.factories import make_reviewable

    partner = make_reviewable(actor=other_staff, status="under_review")
    PartnerStatusChange.objects.create(
        partner=partner, from_status="draft", to_status="submitted", changed_by=staff
    )

    response = staff_client.post(f"/staff/inbox/partner/{partner.pk}/approve/", follow=True)

    page = response.content.decode()
    assert "You made this request (you submitted it): another staff member must decide it." in page
    assert "Decision recorded" not in page
    partner.refresh_from_db()
    assert partner.status == "under_review"


@pytest.mark.django_db
def test_another_staff_member_approves_the_application_sam_submitted(client, staff, other_staff):
    from tests.partners.factories import make_reviewable

    partner = make_reviewable(actor=other_staff, status="under_review")
    PartnerStatusChange.objects.create(
        partner=partner, from_status="draft", to_status="submitted", changed_by=staff
    )
    client.force_login(other_staff)

    response = client.post(f"/staff/inbox/partner/{partner.pk}/approve/", follow=True)

    assert "Decision recorded" in response.content.decode()
    partner.refresh_from_db()
    assert partner.status == "approved"
    assert partner.status_changes.first().changed_by == other_staff
