"""The revenue admin: maker-checker actions, the read-only ledger, statements with files and
payout, settlement runs, disputes; list pages at a fixed query count."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from revenue import services
from revenue.models import Agreement, Dispute, SettlementRun, Statement, Transaction

from .factories import item, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(partner, agreement):
    record(partner, item(amount="100.00"), item(amount="50.00", product="trip-cover"))
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    return Statement.objects.get()


def test_the_maker_cannot_approve_their_own_agreement_in_the_admin(
    client, maker, checker, partner, scenario, joined, staff_roles
):
    maker.groups.add(staff_roles["Finance checkers"])  # even holding both roles
    agreement = services.agreement_create(
        actor=maker,
        partner=partner,
        scenario=scenario,
        model="percentage",
        terms={"rate": "0.1"},
        cycle="monthly",
        effective_from=date(2026, 1, 1),
    )
    services.agreement_submit(agreement=agreement, actor=maker)
    client.force_login(maker)

    response = client.post(
        reverse("admin:revenue_agreement_changelist"),
        {"action": "approve", "_selected_action": [agreement.pk]},
        follow=True,
    )

    assert "Maker-checker" in response.content.decode()
    assert Agreement.objects.get(pk=agreement.pk).status == "pending_approval"
    client.force_login(checker)
    client.post(
        reverse("admin:revenue_agreement_changelist"),
        {"action": "approve", "_selected_action": [agreement.pk]},
    )
    assert Agreement.objects.get(pk=agreement.pk).status == "sent"


def test_transactions_cannot_be_changed_or_deleted_in_the_admin(admin_client, partner, agreement):
    record(partner, item())
    tx = Transaction.objects.get()

    assert (
        admin_client.post(
            reverse("admin:revenue_transaction_delete", args=[tx.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:revenue_transaction_add")).status_code == 403
    assert Transaction.objects.count() == 1


def test_statement_files_download(admin_client, statement):
    csv = admin_client.get(reverse("admin:revenue_statement_csv", args=[statement.pk]))
    xlsx = admin_client.get(reverse("admin:revenue_statement_xlsx", args=[statement.pk]))
    detail = admin_client.get(reverse("admin:revenue_statement_transactions", args=[statement.pk]))

    assert "trip-cover" in csv.content.decode("utf-8-sig")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert detail.streaming
    lines = b"".join(detail.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3  # header and two transactions


def test_finance_records_the_payout_and_another_person_confirms_it(client, statement, maker, checker):
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker)
    client.force_login(maker)
    change = reverse("admin:revenue_statement_change", args=[statement.pk])
    assert reverse("admin:revenue_statement_pay", args=[statement.pk]) in client.get(change).content.decode()

    client.post(
        reverse("admin:revenue_statement_pay", args=[statement.pk]),
        {"payout_reference": "TRF-1", "paid_on": "2026-02-05"},
    )

    statement.refresh_from_db()
    assert (statement.status, statement.payout_reference, statement.payout_recorded_by) == (
        "recorded",
        "TRF-1",
        maker,
    )
    client.force_login(checker)
    page = client.get(change).content.decode()
    assert reverse("admin:revenue_statement_confirm", args=[statement.pk]) in page
    client.post(reverse("admin:revenue_statement_confirm", args=[statement.pk]), {"reason": ""})
    statement.refresh_from_db()
    assert (statement.status, statement.payout_confirmed_by) == ("paid", checker)


def test_the_recorder_sees_no_confirm_button_and_posting_it_is_refused(
    client, statement, maker, checker, staff_roles
):
    maker.groups.add(staff_roles["Finance checkers"])  # even holding both roles
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker)
    services.statement_pay(
        statement=statement, actor=maker, payout_reference="TRF-1", paid_on=date(2026, 2, 5)
    )
    client.force_login(maker)

    page = client.get(reverse("admin:revenue_statement_change", args=[statement.pk])).content.decode()
    confirm = reverse("admin:revenue_statement_confirm", args=[statement.pk])

    assert confirm not in page
    assert "You recorded this payout: another person confirms it." in page
    assert client.post(confirm, {"reason": ""}).status_code == 403
    client.post(
        reverse("admin:revenue_statement_changelist"),
        {"action": "confirm_payout", "_selected_action": [statement.pk]},
    )
    statement.refresh_from_db()
    assert (statement.status, statement.payout_confirmed_by) == ("recorded", None)


def test_an_auditor_sees_no_decision_on_statements_agreements_or_disputes(
    client, statement, maker, checker, alice, staff_roles
):
    from tests.factories import StaffFactory

    auditor = StaffFactory(email="ada@bank.example")
    auditor.groups.add(staff_roles["Auditors"])
    services.statement_prepare(statement=statement, actor=maker)
    services.statement_approve(statement=statement, actor=checker)
    dispute = services.dispute_raise(line=statement.lines.first(), actor=alice, reason="Missing a sale.")
    client.force_login(auditor)

    statement_page = client.get(
        reverse("admin:revenue_statement_change", args=[statement.pk])
    ).content.decode()
    dispute_page = client.get(reverse("admin:revenue_dispute_change", args=[dispute.pk])).content.decode()
    lists = [
        client.get(reverse(f"admin:revenue_{model}_changelist")).content.decode()
        for model in ("statement", "agreement", "adjustment", "dispute")
    ]

    assert "data-decision" not in statement_page + dispute_page
    assert reverse("admin:revenue_statement_pay", args=[statement.pk]) not in statement_page
    assert reverse("admin:revenue_dispute_propose", args=[dispute.pk]) not in dispute_page
    for page in lists:
        assert 'value="approve"' not in page
        assert 'value="confirm_payout"' not in page
    assert (
        client.post(
            reverse("admin:revenue_statement_pay", args=[statement.pk]),
            {"payout_reference": "TRF-1", "paid_on": "2026-02-05"},
        ).status_code
        == 403
    )
    statement.refresh_from_db()
    assert statement.status == "approved"


def test_the_maker_of_a_pending_agreement_is_told_why_approving_is_not_theirs(
    client, maker, partner, scenario, joined
):
    agreement = services.agreement_create(
        actor=maker,
        partner=partner,
        scenario=scenario,
        model="percentage",
        terms={"rate": "0.1"},
        cycle="monthly",
        effective_from=date(2026, 1, 1),
    )
    services.agreement_submit(agreement=agreement, actor=maker)
    client.force_login(maker)

    page = client.get(reverse("admin:revenue_agreement_change", args=[agreement.pk])).content.decode()

    assert "You drafted it, submitted it: another person approves this agreement." in page


def test_staff_start_a_settlement_run_from_the_admin(client, maker, partner, agreement):
    client.force_login(maker)

    response = client.post(reverse("admin:revenue_settlementrun_start"))

    assert response.status_code == 302
    run = SettlementRun.objects.get()
    assert (run.trigger, run.started_by) == ("staff", maker)
    # straight to the new run's live progress, which shows the run and its state
    assert response["Location"] == f"/staff/jobs/settlement/{run.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page
    assert run.get_status_display() in page


def test_a_dispute_is_resolved_by_an_adjustment_under_maker_checker(client, statement, maker, checker, alice):
    dispute = services.dispute_raise(line=statement.lines.first(), actor=alice, reason="Missing a sale.")
    client.force_login(maker)
    client.post(
        reverse("admin:revenue_dispute_propose", args=[dispute.pk]), {"amount": "12.50", "reason": "Agreed."}
    )
    adjustment = dispute.adjustments.get()
    client.post(
        reverse("admin:revenue_adjustment_changelist"),
        {"action": "approve", "_selected_action": [adjustment.pk]},
    )
    assert Dispute.objects.get(pk=dispute.pk).status == "resolving"  # the maker cannot approve
    client.force_login(checker)

    client.post(
        reverse("admin:revenue_adjustment_changelist"),
        {"action": "approve", "_selected_action": [adjustment.pk]},
    )

    assert Dispute.objects.get(pk=dispute.pk).status == "resolved"
    services.settlement_start(through=date(2026, 2, 28), trigger="command")
    february = Statement.objects.get(period_start=date(2026, 2, 1))
    assert february.adjustment_amount == Decimal("12.50")
    assert list(dispute.events.order_by("id").values_list("to_status", flat=True)) == [
        "open",
        "resolving",
        "resolved",
    ]


@pytest.mark.parametrize(
    "url", ["revenue_statement", "revenue_transaction", "revenue_settlementrun", "revenue_agreement"]
)
def test_list_pages_cost_the_same_whatever_the_data(
    admin_client, partner, agreement, django_assert_max_num_queries, url, maker, checker, scenario
):
    def queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(reverse(f"admin:{url}_changelist")).status_code == 200
        return len(ctx.captured_queries)

    record(partner, item(day=date(2026, 1, 2)))
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    small = queries()
    record(partner, *[item(day=date(2026, 2, d)) for d in range(1, 28)])
    services.settlement_start(through=date(2026, 4, 30), trigger="command")

    assert queries() == small


def test_the_agreement_page_names_who_edited_the_draft(client, maker, partner, scenario, joined):
    from tests.factories import StaffFactory

    root = StaffFactory(email="root@bank.example", is_superuser=True)
    agreement = services.agreement_create(
        actor=maker,
        partner=partner,
        scenario=scenario,
        model="percentage",
        terms={"rate": "0.1"},
        cycle="monthly",
        effective_from=date(2026, 1, 1),
    )
    client.force_login(root)

    client.post(
        reverse("admin:revenue_agreement_change", args=[agreement.pk]),
        {
            "model": "percentage",
            "rate_percent": "15",
            "cycle": "monthly",
            "currency": "CNY",
            "effective_from": "2026-01-01",
            "effective_to": "",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )

    agreement.refresh_from_db()
    assert (agreement.terms, list(agreement.editors.all())) == ({"rate": "0.150000"}, [root])
    page = client.get(reverse("admin:revenue_agreement_change", args=[agreement.pk])).content.decode()
    assert "root@bank.example" in page
