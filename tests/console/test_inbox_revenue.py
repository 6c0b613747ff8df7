"""The inbox's revenue items: agreements, statements, adjustments and disputes waiting for a
decision, decided through the revenue services, never by their maker."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine

from revenue import services
from revenue.periods import Period
from revenue.services.settlement import statement_generate
from tests.console.factories import ledger_row, shanghai
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.revenue.factories import agreement_in_force, finance_staff, join, scenario_with_products


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=shanghai(date(2026, 3, 10)).tzinfo)):
        yield


@pytest.fixture
def maker(staff_roles):
    return finance_staff(staff_roles, "maker@bank.example", "Finance makers")


@pytest.fixture
def checker(staff_roles):
    return finance_staff(staff_roles, "checker@bank.example", "Finance checkers")


@pytest.fixture
def both(staff_roles):
    """One person holding both roles: maker-checker still stops them deciding their own work."""
    user = finance_staff(staff_roles, "both@bank.example", "Finance makers")
    user.groups.add(staff_roles["Finance checkers"])
    return user


@pytest.fixture
def setup(db, maker, checker):
    scenario, (installment, _cover) = scenario_with_products()
    skyway = PartnerFactory(slug="skyway", display_name="Skyway")
    join(skyway, scenario)
    agreement = agreement_in_force(maker=maker, checker=checker, partner=skyway, scenario=scenario)
    ledger_row(skyway, scenario, installment, when=shanghai(date(2026, 1, 10)), amount="100.00")
    statement = statement_generate(
        agreement_id=agreement.pk, period=Period(date(2026, 1, 1), date(2026, 1, 31))
    ).statement
    return {"scenario": scenario, "skyway": skyway, "agreement": agreement, "statement": statement}


def _items(client, kind):
    response = client.get("/staff/inbox/")
    return next(s for s in response.context["sections"] if s.kind == kind).items


def _login(client, user):
    client.force_login(user)
    return client


def test_a_pending_agreement_is_approved_by_the_checker_not_the_maker(client, setup, maker, checker):
    draft = services.agreement_create(
        actor=maker,
        partner=setup["skyway"],
        scenario=setup["scenario"],
        model="fixed_per_transaction",
        terms={"amount": "2.00"},
        cycle="monthly",
        effective_from=date(2026, 4, 1),
        supersedes=setup["agreement"],
    )
    services.agreement_submit(agreement=draft, actor=maker)
    items = _items(_login(client, maker), "agreement")
    assert [(i.pk, i.maker) for i in items] == [(draft.pk, maker.email)]
    assert f"/staff/inbox/agreement/{draft.pk}/" not in client.get("/staff/inbox/").content.decode()
    client.post(f"/staff/inbox/agreement/{draft.pk}/approve/")
    draft.refresh_from_db()
    assert draft.status == "pending_approval"
    _login(client, checker).post(f"/staff/inbox/agreement/{draft.pk}/approve/")
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by) == ("sent", checker)
    # Now it waits for the partner: listed with who sent it, no decision in the inbox.
    [item] = _items(client, "agreement_sent")
    assert (item.pk, item.maker, item.offered) == (draft.pk, checker.email, ())
    assert "Agreements awaiting the partner" in client.get("/staff/inbox/").content.decode()
    assert client.post(f"/staff/inbox/agreement_sent/{draft.pk}/accept/").status_code in (302, 400, 404)
    draft.refresh_from_db()
    assert draft.status == "sent"


def test_a_prepared_statement_waits_for_a_checker_other_than_its_preparer(client, setup, both, checker):
    statement = setup["statement"]
    assert _items(_login(client, checker), "statement") == []  # not prepared yet: nothing to check
    services.statement_prepare(statement=statement, actor=both)
    response = _login(client, both).post(f"/staff/inbox/statement/{statement.pk}/approve/", follow=True)
    assert "another staff member must decide it" in response.content.decode()
    statement.refresh_from_db()
    assert statement.status == "draft"
    [item] = _items(_login(client, checker), "statement")
    assert item.maker == both.email
    client.post(f"/staff/inbox/statement/{statement.pk}/approve/")
    statement.refresh_from_db()
    assert (statement.status, statement.approved_by) == ("approved", checker)


@pytest.fixture
def dispute(setup):
    alice = UserFactory(email="alice@skyway.example")
    MembershipFactory(user=alice, partner=setup["skyway"], role="owner")
    return services.dispute_raise(
        line=setup["statement"].lines.first(), actor=alice, reason="Missing a sale."
    )


def test_an_open_dispute_is_listed_and_rejected_with_a_reason(client, dispute, maker):
    [item] = _items(_login(client, maker), "dispute")
    assert (item.pk, item.maker) == (dispute.pk, "alice@skyway.example")
    client.post(f"/staff/inbox/dispute/{dispute.pk}/reject/", {"reason": "The sale is in February."})
    dispute.refresh_from_db()
    assert dispute.status == "rejected"


def test_an_adjustment_is_approved_by_a_checker_other_than_its_maker(client, dispute, maker, checker, both):
    adjustment = services.dispute_propose_adjustment(
        dispute=dispute, actor=both, amount=Decimal("12.50"), reason="Agreed."
    )
    response = _login(client, both).post(f"/staff/inbox/adjustment/{adjustment.pk}/approve/", follow=True)
    assert "another staff member must decide it" in response.content.decode()
    [item] = _items(_login(client, checker), "adjustment")
    assert item.maker == both.email
    client.post(f"/staff/inbox/adjustment/{adjustment.pk}/approve/")
    adjustment.refresh_from_db()
    assert (adjustment.status, adjustment.decided_by) == ("approved", checker)


def test_the_inbox_with_revenue_items_costs_the_same_queries_at_two_sizes(
    client, setup, dispute, maker, both, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _login(client, maker)
    services.statement_prepare(statement=setup["statement"], actor=both)
    first = PartnerFactory(slug="first")
    join(first, setup["scenario"])
    services.agreement_submit(
        agreement=services.agreement_create(
            actor=maker,
            partner=first,
            scenario=setup["scenario"],
            model="percentage",
            terms={"rate": "0.1"},
            cycle="monthly",
            effective_from=date(2026, 4, 1),
        ),
        actor=maker,
    )
    with CaptureQueriesContext(connection) as ctx:
        client.get("/staff/inbox/")
    services.dispute_propose_adjustment(dispute=dispute, actor=both, amount=Decimal("1.00"), reason="ok")
    for n in range(3):
        partner = PartnerFactory(slug=f"p{n}")
        join(partner, setup["scenario"])
        draft = services.agreement_create(
            actor=maker,
            partner=partner,
            scenario=setup["scenario"],
            model="percentage",
            terms={"rate": "0.1"},
            cycle="monthly",
            effective_from=date(2026, 4, 1),
        )
        services.agreement_submit(agreement=draft, actor=maker)
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert client.get("/staff/inbox/").status_code == 200


def test_jobs_list_settlement_runs_and_rerun_them_safely(client, setup, maker):
    run = services.settlement_start(through=date(2026, 2, 28), trigger="command", dispatch=False)
    statements = setup["skyway"].statements.count()
    response = _login(client, maker).get("/staff/jobs/")
    assert [r.pk for r in response.context["runs"]] == [run.pk]
    assert 'max="100"' in response.content.decode()
    rerun = client.post(f"/staff/jobs/settlement/{run.pk}/rerun/")
    assert setup["skyway"].statements.count() == statements  # exactly once: nothing new
    latest = response.context["runs"][0].__class__.objects.order_by("-id").first()
    assert (latest.pk != run.pk, latest.trigger, latest.started_by) == (True, "staff", maker)
    # the answer is the new run's page: the run is there as soon as it is started
    assert rerun["Location"] == f"/staff/jobs/settlement/{latest.pk}/"
    assert client.get(rerun["Location"]).context["run"] == latest


def test_only_staff_allowed_to_settle_may_rerun(client, setup, checker):
    run = services.settlement_start(through=date(2026, 2, 28), trigger="command", dispatch=False)
    response = _login(client, checker).post(f"/staff/jobs/settlement/{run.pk}/rerun/", follow=True)
    assert "permission" in response.content.decode()
    assert run.__class__.objects.count() == 1
