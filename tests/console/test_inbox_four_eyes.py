"""Four eyes in the approvals inbox: a row offers a decision only to people who may take it.
An auditor sees no decision at all; a maker of the object — who submitted, reviewed or verified
a partner, edited an agreement, recorded a payout — sees why instead of the button; posting the
decision by hand is refused all the same."""

from __future__ import annotations

from datetime import date

import pytest

from partners import services as partner_services
from partners.models import Partner
from portal import roles
from revenue import services
from revenue.models import Agreement, Statement
from revenue.periods import Period
from revenue.services.settlement import statement_generate
from tests.factories import PartnerFactory, StaffFactory
from tests.partners.factories import make_reviewable
from tests.revenue.factories import agreement_in_force, finance_staff, join, scenario_with_products

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(staff_roles):
    user = StaffFactory(email="ada@bank.example")
    user.groups.add(staff_roles[roles.AUDITORS])
    return user


@pytest.fixture
def maker(staff_roles):
    return finance_staff(staff_roles, "maker@bank.example", "Finance makers")


@pytest.fixture
def checker(staff_roles):
    return finance_staff(staff_roles, "checker@bank.example", "Finance checkers")


@pytest.fixture
def revenue_items(maker, checker):
    """A pending agreement, a prepared statement and a recorded payout."""
    scenario, _products = scenario_with_products()
    skyway = PartnerFactory(slug="skyway", display_name="Skyway")
    join(skyway, scenario)
    in_force = agreement_in_force(maker=maker, checker=checker, partner=skyway, scenario=scenario)
    pending = services.agreement_create(
        actor=maker,
        partner=skyway,
        scenario=scenario,
        model="percentage",
        terms={"rate": "0.2"},
        cycle="monthly",
        effective_from=date(2026, 6, 1),
        supersedes=in_force,
    )
    services.agreement_submit(agreement=pending, actor=maker)
    january, february = (
        statement_generate(agreement_id=in_force.pk, period=Period(start, end)).statement
        for start, end in ((date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 28)))
    )
    services.statement_prepare(statement=january, actor=maker)
    services.statement_prepare(statement=february, actor=maker)
    services.statement_approve(statement=february, actor=checker)
    services.statement_pay(
        statement=february, actor=maker, payout_reference="TRF-9", paid_on=date(2026, 3, 5)
    )
    return {"agreement": pending, "statement": january, "payout": february}


def _page(client, user) -> str:
    client.force_login(user)
    return client.get("/staff/inbox/").content.decode()


def test_an_auditor_sees_no_decision_and_posting_one_is_refused(client, auditor, staff, revenue_items):
    partner = make_reviewable(actor=staff, status="under_review")

    page = _page(client, auditor)

    assert "data-decision" not in page
    assert "/staff/inbox/partner/" not in page
    assert ">Skyway" in page  # the items are listed all the same
    for url in (
        f"/staff/inbox/partner/{partner.pk}/approve/",
        f"/staff/inbox/agreement/{revenue_items['agreement'].pk}/approve/",
        f"/staff/inbox/statement/{revenue_items['statement'].pk}/approve/",
        f"/staff/inbox/payout/{revenue_items['payout'].pk}/confirm/",
    ):
        response = client.post(url, follow=True)
        assert "Decision recorded" not in response.content.decode()
    assert Partner.objects.get(pk=partner.pk).status == "under_review"
    assert Agreement.objects.get(pk=revenue_items["agreement"].pk).status == "pending_approval"
    assert list(Statement.objects.order_by("period_start").values_list("status", flat=True)) == [
        "draft",
        "recorded",
    ]


def test_whoever_started_a_review_sees_reject_but_not_approve(client, staff, other_staff):
    partner = make_reviewable(actor=other_staff)
    partner_services.partner_submit(partner=partner, actor=other_staff)
    partner_services.partner_review_start(partner=partner, actor=staff)

    page = _page(client, staff)

    assert f"/staff/inbox/partner/{partner.pk}/approve/" not in page
    assert f"/staff/inbox/partner/{partner.pk}/reject/" in page
    assert "You made this request (you started its review): another staff member decides it." in page
    response = client.post(f"/staff/inbox/partner/{partner.pk}/approve/", follow=True)
    assert "(you started its review): another staff member must decide it." in response.content.decode()
    assert Partner.objects.get(pk=partner.pk).status == "under_review"


def test_a_superuser_who_edited_an_agreement_is_offered_no_approval(client, revenue_items):
    root = StaffFactory(email="root@bank.example", is_superuser=True)
    agreement = revenue_items["agreement"]
    services.agreement_return(agreement=agreement, actor=root, reason="rate")
    services.agreement_update(agreement=agreement, actor=root, terms={"rate": "0.25"})
    services.agreement_submit(agreement=agreement, actor=agreement.created_by)

    page = _page(client, root)

    assert f"/staff/inbox/agreement/{agreement.pk}/approve/" not in page
    assert "(you changed its terms)" in page
    client.post(f"/staff/inbox/agreement/{agreement.pk}/approve/")
    assert Agreement.objects.get(pk=agreement.pk).status == "pending_approval"


def test_a_recorded_payout_is_confirmed_by_a_second_person_only(
    client, staff_roles, maker, checker, revenue_items
):
    payout = revenue_items["payout"]
    maker.groups.add(staff_roles["Finance checkers"])  # even holding both roles

    page = _page(client, maker)
    assert f"/staff/inbox/payout/{payout.pk}/confirm/" not in page
    assert "(you recorded its payout)" in page
    client.post(f"/staff/inbox/payout/{payout.pk}/confirm/")
    assert Statement.objects.get(pk=payout.pk).status == "recorded"

    page = _page(client, checker)
    assert f"/staff/inbox/payout/{payout.pk}/confirm/" in page
    response = client.post(
        f"/staff/inbox/payout/{payout.pk}/confirm/", {"reason": "on the bank statement"}, follow=True
    )
    assert "Decision recorded" in response.content.decode()
    payout.refresh_from_db()
    assert (payout.status, payout.payout_confirmed_by) == ("paid", checker)
    change = payout.status_changes.order_by("id").last()
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "recorded",
        "paid",
        checker,
        "on the bank statement",
    )


def test_whoever_asked_to_join_a_scenario_cannot_decide_it_in_the_admin_either(client, staff, other_staff):
    from scenarios.models import Participation
    from tests.scenarios.factories import ParticipationFactory

    participation = ParticipationFactory(status="requested", requested_by=staff)
    client.force_login(staff)

    response = client.post(
        "/admin/scenarios/participation/",
        {"action": "approve", "_selected_action": [participation.pk]},
        follow=True,
    )

    assert "you asked for this participation, so another staff member decides it" in response.content.decode()
    assert Participation.objects.get(pk=participation.pk).status == "requested"
