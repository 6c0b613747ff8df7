"""The partner's side of scenarios in the portal: owners and admins accept or decline the bank's
invitation (a reason to decline), read what a newer version changes side by side and move to
it, leave with a reason; other roles read only, another partner's scenario is a 404, query
counts stay fixed, pages speak English and Chinese."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from scenarios.models import Participation, ParticipationStatusChange
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ParticipationFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
NBSP = "\N{NO-BREAK SPACE}"


@pytest.fixture
def loan(db):
    return ProductFactory(code="trip-installment", name="Trip installments", name_zh="旅行分期")


@pytest.fixture
def v1(acme, loan):
    scenario = ScenarioFactory(code="travel-finance", name="Travel finance", industry=acme.industry)
    BundleItemFactory(scenario=scenario, product=loan, position=1, rate_adjustment=D("-0.010000"))
    BundleItemFactory(
        scenario=scenario, product=ProductFactory(code="trip-cover", category="insurance"), position=2
    )
    return scenario


@pytest.fixture
def invited(acme, v1):
    return ParticipationFactory(partner=acme, scenario=v1, status="invited", note="Welcome aboard")


@pytest.fixture
def active(acme, v1):
    return ParticipationFactory(partner=acme, scenario=v1, status="active")


@pytest.fixture
def v2(v1, loan):
    """Version 2: the loan 2 points cheaper with cashback, the cover dropped, payments added."""
    scenario = ScenarioFactory(
        code="travel-finance",
        version=2,
        name="Travel finance",
        industry=v1.industry,
        trigger_events=["booking.paid"],
    )
    BundleItemFactory(
        scenario=scenario,
        product=loan,
        position=1,
        rate_adjustment=D("-0.030000"),
        reward_kind="cashback",
        reward_amount=D("80.00"),
    )
    BundleItemFactory(
        scenario=scenario, product=ProductFactory(code="trip-pay", category="payment"), position=2
    )
    return scenario


def scenario_url(name: str = "scenario", code: str = "travel-finance") -> str:
    return reverse(f"portal:{name}", args=[code])


# --------------------------------------------------------------------------------------
# Invitations
# --------------------------------------------------------------------------------------
def test_the_owner_sees_the_invitation_on_the_dashboard_list_and_scenario(client, alice, invited):
    client.force_login(alice)

    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    listing = client.get(reverse("portal:scenarios")).content.decode()
    page = client.get(scenario_url()).content.decode()

    assert 'data-testid="scenario-invitations"' in dashboard
    assert 'data-testid="invitations"' in listing
    assert "Welcome aboard" in page
    assert 'data-testid="accept-invitation"' in page


def test_the_owner_accepts_and_is_on_the_change_row(client, alice, invited):
    client.force_login(alice)

    response = client.post(scenario_url("scenario-invitation"), {"answer": "accept"})

    assert response.status_code == 302
    invited.refresh_from_db()
    assert invited.status == "active"
    change = ParticipationStatusChange.objects.get(participation=invited)
    assert (change.to_status, change.changed_by) == ("active", alice)
    assert "Try the offer engine" in client.get(scenario_url()).content.decode()


def test_declining_without_a_reason_is_a_400_and_with_one_declines(client, alice, invited):
    client.force_login(alice)

    refused = client.post(scenario_url("scenario-invitation"), {"answer": "decline", "reason": " "})
    declined = client.post(scenario_url("scenario-invitation"), {"answer": "decline", "reason": "not now"})

    assert refused.status_code == 400
    assert "Say why you decline the invitation." in refused.content.decode()
    assert declined.status_code == 302
    invited.refresh_from_db()
    assert invited.status == "declined"
    assert ParticipationStatusChange.objects.get(participation=invited).reason == "not now"


@pytest.mark.parametrize("persona", ["bob", "fiona", "victor"])
def test_other_roles_see_the_invitation_but_cannot_answer(client, request, invited, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(scenario_url()).content.decode()
    response = client.post(scenario_url("scenario-invitation"), {"answer": "accept"})

    assert "An owner or an admin of your team answers the invitation." in page
    assert 'data-testid="accept-invitation"' not in page
    assert response.status_code == 403
    invited.refresh_from_db()
    assert invited.status == "invited"


def test_another_partners_invitation_is_a_404(client, charlie, invited):
    client.force_login(charlie)

    assert client.post(scenario_url("scenario-invitation"), {"answer": "accept"}).status_code == 404
    invited.refresh_from_db()
    assert invited.status == "invited"


def test_an_invitation_is_answered_only_by_post(client, alice, invited):
    client.force_login(alice)

    assert client.get(scenario_url("scenario-invitation")).status_code == 405


def test_the_post_needs_the_csrf_token(alice, invited):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)

    assert strict.post(scenario_url("scenario-invitation"), {"answer": "accept"}).status_code == 403
    invited.refresh_from_db()
    assert invited.status == "invited"


# --------------------------------------------------------------------------------------
# A newer version: what changed, moving
# --------------------------------------------------------------------------------------
def test_the_scenario_page_and_list_say_a_newer_version_is_published(client, victor, active, v2):
    client.force_login(victor)

    page = client.get(scenario_url()).content.decode()
    listing = client.get(reverse("portal:scenarios")).content.decode()

    assert "Version 2 of this scenario is published" in page
    assert scenario_url("scenario-move") in page
    assert "v2 published" in listing


def test_the_changes_are_shown_side_by_side(client, victor, active, v2):
    client.force_login(victor)

    page = client.get(scenario_url("scenario-move")).content.decode()

    assert 'data-testid="diff-added"' in page
    assert 'data-testid="diff-removed"' in page
    assert 'data-testid="diff-changed"' in page
    assert f"<td>-1.00{NBSP}%</td><td><strong>-3.00{NBSP}%</strong></td>" in page
    assert f"<strong>80.00{NBSP}CNY</strong>" in page
    assert "<code>booking.paid</code>" in page
    # A viewer reads but does not move.
    assert 'data-testid="move"' not in page
    assert "An owner or an admin of your team decides when to move." in page


def test_the_owner_moves_after_confirming_and_history_records_it(client, alice, active, v2):
    client.force_login(alice)

    unconfirmed = client.post(scenario_url("scenario-move"), {"version": 2})
    moved = client.post(scenario_url("scenario-move"), {"version": 2, "confirm": "on"})

    assert unconfirmed.status_code == 400
    assert moved.status_code == 302
    active.refresh_from_db()
    new = Participation.objects.get(partner=active.partner, status="active")
    assert (active.status, new.scenario, new.moved_from) == ("ended", v2, active)
    page = client.get(scenario_url()).content.decode()
    assert "Moved to version 2." in page
    assert "Moved from version 1." in page
    assert "Version 2 of this scenario is published" not in page


def test_a_move_to_a_version_not_read_is_refused(client, alice, active, v2, loan):
    v3 = ScenarioFactory(code="travel-finance", version=3, industry=v2.industry)
    BundleItemFactory(scenario=v3, product=loan, position=1)
    client.force_login(alice)

    response = client.post(scenario_url("scenario-move"), {"version": 2, "confirm": "on"})

    assert response.status_code == 400
    assert "A newer version was published meanwhile" in response.content.decode()
    active.refresh_from_db()
    assert active.status == "active"


def test_a_developer_cannot_move(client, bob, active, v2):
    client.force_login(bob)

    assert client.post(scenario_url("scenario-move"), {"version": 2, "confirm": "on"}).status_code == 403
    active.refresh_from_db()
    assert active.status == "active"


def test_the_move_page_is_a_404_without_a_newer_version_or_for_another_partner(
    client, alice, charlie, active, v2
):
    client.force_login(charlie)
    assert client.get(scenario_url("scenario-move")).status_code == 404
    assert client.post(scenario_url("scenario-move"), {"version": 2, "confirm": "on"}).status_code == 404

    client.force_login(alice)
    client.post(scenario_url("scenario-move"), {"version": 2, "confirm": "on"})
    assert client.get(scenario_url("scenario-move")).status_code == 404


@pytest.mark.parametrize("extra", [0, 4])
def test_the_move_page_costs_the_same_queries_whatever_the_bundle(
    client, alice, active, v2, django_assert_num_queries, extra
):
    for n in range(extra):
        product = ProductFactory(code=f"extra-{n}")
        BundleItemFactory(scenario=active.scenario, product=product, position=10 + n)
        BundleItemFactory(scenario=v2, product=product, position=10 + n, fee_waiver=D("0.25"))
    client.force_login(alice)

    # session, user, memberships, participation, newer version, both versions and their items,
    # the bell
    with django_assert_num_queries(8):
        response = client.get(scenario_url("scenario-move"))
    assert response.status_code == 200


def test_the_move_page_speaks_chinese(client, alice, active, v2):
    client.force_login(alice)

    page = client.get(scenario_url("scenario-move"), **CHINESE).content.decode()

    assert "旅行分期" in page
    assert "移至版本 2" in page
    assert "Move to version" not in page


# --------------------------------------------------------------------------------------
# Leaving
# --------------------------------------------------------------------------------------
def test_the_owner_leaves_with_a_reason_and_offers_stop(client, alice, active):
    client.force_login(alice)

    form = client.get(scenario_url("scenario-leave"))
    refused = client.post(scenario_url("scenario-leave"), {"reason": "", "confirm": "on"})
    left = client.post(scenario_url("scenario-leave"), {"reason": "journey closed", "confirm": "on"})

    assert form.status_code == 200
    assert refused.status_code == 400
    assert left.status_code == 302
    active.refresh_from_db()
    assert active.status == "ended"
    change = ParticipationStatusChange.objects.get(participation=active)
    assert (change.changed_by, change.reason) == (alice, "journey closed")
    assert client.get(scenario_url("scenario-offers")).status_code == 404
    assert "Ask to join" in client.get(scenario_url()).content.decode()


@pytest.mark.parametrize("persona", ["bob", "fiona", "victor"])
def test_other_roles_cannot_leave(client, request, active, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get(scenario_url()).content.decode()
    response = client.post(scenario_url("scenario-leave"), {"reason": "x", "confirm": "on"})

    assert 'data-testid="leave"' not in page
    assert response.status_code == 403
    active.refresh_from_db()
    assert active.status == "active"


def test_another_partner_cannot_leave_for_acme(client, charlie, active):
    client.force_login(charlie)

    assert client.post(scenario_url("scenario-leave"), {"reason": "x", "confirm": "on"}).status_code == 404
    active.refresh_from_db()
    assert active.status == "active"


def test_the_leave_page_speaks_chinese(client, alice, active):
    client.force_login(alice)

    page = client.get(scenario_url("scenario-leave"), **CHINESE).content.decode()

    assert "离开此场景" in page


@pytest.mark.parametrize("moves", [1, 4])
def test_the_scenario_page_costs_the_same_queries_whatever_the_history(
    client, alice, acme, v1, django_assert_num_queries, moves
):
    participation = ParticipationFactory(partner=acme, scenario=v1, status="active")
    for n in range(moves):
        ParticipationStatusChange.objects.create(
            participation=participation,
            from_status="active",
            to_status="active",
            changed_by=alice,
            reason=f"r{n}",
        )
    client.force_login(alice)

    # session, user, memberships, the version (and its items), participation, history, the bell
    with django_assert_num_queries(8):
        response = client.get(scenario_url())
    assert response.content.decode().count("<td>r") == moves
