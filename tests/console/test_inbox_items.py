"""What the inbox shows for each kind of pending item, field by field, in what order, and at
what cost: one query per kind whatever is waiting."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console.selectors import inbox
from partners.models import PartnerStatusChange
from payouts.services import invoice_record, payee_account_submit
from revenue import services
from revenue.models import Statement
from revenue.periods import Period
from revenue.services.settlement import statement_generate
from tests.console.factories import ledger_row, shanghai
from tests.factories import IndustryFactory, MembershipFactory, PartnerFactory, UserFactory
from tests.revenue.factories import agreement_in_force, finance_staff, join, scenario_with_products
from tests.scenarios.factories import ParticipationFactory

START = datetime(2026, 3, 10, 9, 0, tzinfo=shanghai(date(2026, 3, 10)).tzinfo)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def maker(staff_roles):
    return finance_staff(staff_roles, "maker@bank.example", "Finance makers")


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@skyway.example")


def _submitted(slug: str, name: str, *, actor) -> object:
    partner = PartnerFactory(
        slug=slug, display_name=name, status="submitted", industry=IndustryFactory(code="retail")
    )
    PartnerStatusChange.objects.create(
        partner=partner, from_status="draft", to_status="submitted", changed_by=actor
    )
    return partner


def _pending_agreement(partner, scenario, *, actor, supersedes=None):
    agreement = services.agreement_create(
        actor=actor,
        partner=partner,
        scenario=scenario,
        model="fixed_per_transaction",
        terms={"amount": "2.00"},
        cycle="monthly",
        effective_from=date(2026, 4, 1),
        supersedes=supersedes,
    )
    return services.agreement_submit(agreement=agreement, actor=actor)


@pytest.fixture
def waiting(db, clock, alice, maker, staff_roles):
    """One item of every kind: a partner application, a participation request, an agreement
    pending approval, a prepared statement, a recorded payout, an open dispute and a pending
    adjustment."""
    applicant = _submitted("applicant", "Applicant", actor=alice)
    clock.shift(timedelta(minutes=1))
    scenario, (installment, cover) = scenario_with_products()
    joiner = PartnerFactory(slug="joiner", display_name="Joiner")
    participation = ParticipationFactory(
        partner=joiner, scenario=scenario, status="requested", requested_by=alice, note="Spring launch"
    )
    skyway = PartnerFactory(slug="skyway", display_name="Skyway")
    MembershipFactory(user=alice, partner=skyway, role="owner")
    join(skyway, scenario)
    checker = finance_staff(staff_roles, "checker@bank.example", "Finance checkers")
    in_force = agreement_in_force(maker=maker, checker=checker, partner=skyway, scenario=scenario)
    clock.shift(timedelta(minutes=1))
    pending = _pending_agreement(skyway, scenario, actor=maker, supersedes=in_force)
    ledger_row(skyway, scenario, installment, when=shanghai(date(2026, 1, 10)), amount="100.00")
    ledger_row(skyway, scenario, cover, when=shanghai(date(2026, 1, 11)), amount="20.00")
    statement = statement_generate(
        agreement_id=in_force.pk, period=Period(date(2026, 1, 1), date(2026, 1, 31))
    ).statement
    clock.shift(timedelta(minutes=1))
    services.statement_prepare(statement=statement, actor=maker)
    clock.shift(timedelta(minutes=1))
    first_line, second_line = statement.lines.order_by("pk")
    dispute = services.dispute_raise(line=first_line, actor=alice, reason="Missing a sale.")
    clock.shift(timedelta(minutes=1))
    second = services.dispute_raise(line=second_line, actor=alice, reason="And another.")
    clock.shift(timedelta(minutes=1))
    adjustment = services.dispute_propose_adjustment(
        dispute=second, actor=maker, amount=Decimal("12.50"), reason="Agreed."
    )
    february = statement_generate(
        agreement_id=in_force.pk, period=Period(date(2026, 2, 1), date(2026, 2, 28))
    ).statement
    services.statement_prepare(statement=february, actor=maker)
    services.statement_approve(statement=february, actor=checker)
    clock.shift(timedelta(minutes=1))
    services.statement_pay(
        statement=february, actor=maker, payout_reference="TRF-7", paid_on=date(2026, 3, 5)
    )
    offered = PartnerFactory(slug="offered", display_name="Offered")
    join(offered, scenario)
    clock.shift(timedelta(minutes=1))
    sent = services.agreement_approve(
        agreement=_pending_agreement(offered, scenario, actor=maker), actor=checker
    )
    clock.shift(timedelta(minutes=1))
    payee = payee_account_submit(
        partner=skyway,
        actor=alice,
        account_name=skyway.legal_name,
        bank_name="Bank of Shanghai",
        branch_name="Pudong",
        cnaps_code="313290000017",
        account_number="6222001234567890",
    )
    march = Statement.objects.create(
        agreement=in_force,
        partner=skyway,
        scenario_code=in_force.scenario_code,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        share_amount=Decimal("106.00"),
        status="approved",
    )
    clock.shift(timedelta(minutes=1))
    invoice = invoice_record(
        statement=march,
        actor=alice,
        invoice_code="",
        invoice_number="26312000000012345678",
        issued_on=date(2026, 3, 10),
        amount_before_tax=Decimal("100.00"),
        tax_rate=Decimal("0.06"),
        tax_amount=Decimal("6.00"),
        total_amount=Decimal("106.00"),
        upload=SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    return {
        "payee": payee,
        "invoice": invoice,
        "sent": sent,
        "checker": checker,
        "payout": february,
        "applicant": applicant,
        "participation": participation,
        "agreement": pending,
        "statement": statement,
        "dispute": dispute,
        "adjustment": adjustment,
        "scenario": scenario,
    }


def _by_kind(sections) -> dict:
    return {s.kind: s for s in sections}


def _shown(item) -> tuple:
    return (
        item.kind,
        item.pk,
        item.title,
        item.detail,
        str(item.status_label),
        item.maker_id,
        item.maker,
        item.since,
        item.admin_url,
        [d.name for d in item.decisions],
    )


def test_every_kind_shows_its_title_detail_maker_and_decisions(waiting, alice, maker):
    sections = _by_kind(inbox.inbox_sections())
    applicant, participation = waiting["applicant"], waiting["participation"]
    agreement, statement = waiting["agreement"], waiting["statement"]
    dispute, adjustment = waiting["dispute"], waiting["adjustment"]
    scenario = waiting["scenario"]
    assert [s.kind for s in sections.values()] == [
        "partner",
        "participation",
        "agreement",
        "agreement_sent",
        "statement",
        "payout",
        "adjustment",
        "dispute",
        "payee_account",
        "vat_invoice",
    ]
    shown = {kind: [_shown(i) for i in s.items] for kind, s in sections.items()}
    payee, invoice = waiting["payee"], waiting["invoice"]
    assert shown["payee_account"] == [
        (
            "payee_account",
            payee.pk,
            "Skyway · Bank of Shanghai ****7890",
            f"{payee.account_name} · Pudong · 313290000017",
            "Awaiting verification",
            alice.pk,
            alice.email,
            payee.submitted_at,
            f"/admin/payouts/payeeaccount/{payee.pk}/change/",
            ["verify", "reject"],
        )
    ]
    assert shown["vat_invoice"] == [
        (
            "vat_invoice",
            invoice.pk,
            "Skyway · 26312000000012345678 · 2026-03-01–2026-03-31",
            "100.00\N{NO-BREAK SPACE}CNY + 6.00\N{NO-BREAK SPACE}CNY = 106.00\N{NO-BREAK SPACE}CNY",
            "Awaiting verification",
            alice.pk,
            alice.email,
            invoice.submitted_at,
            f"/admin/payouts/vatinvoice/{invoice.pk}/change/",
            ["verify", "reject"],
        )
    ]
    assert shown["partner"] == [
        (
            "partner",
            applicant.pk,
            "Applicant",
            f"Retail · {applicant.credit_code}",
            "Submitted",
            alice.pk,
            "alice@skyway.example",
            START,
            f"/admin/partners/partner/{applicant.pk}/change/",
            ["start_review"],
        )
    ]
    assert shown["participation"] == [
        (
            "participation",
            participation.pk,
            f"Joiner → {scenario}",
            f"{participation.get_channel_display()} · Spring launch",
            "Requested",
            alice.pk,
            "alice@skyway.example",
            participation.requested_at,
            f"/admin/scenarios/participation/{participation.pk}/change/",
            ["approve", "decline"],
        )
    ]
    assert shown["agreement"] == [
        (
            "agreement",
            agreement.pk,
            "Skyway · Travel Finance",
            f"{agreement.get_model_display()} · Monthly · 2026-04-01",
            "Pending approval",
            maker.pk,
            "maker@bank.example",
            START + timedelta(minutes=2),
            f"/admin/revenue/agreement/{agreement.pk}/change/",
            ["approve", "return"],
        )
    ]
    sent, checker = waiting["sent"], waiting["checker"]
    assert shown["agreement_sent"] == [
        (
            "agreement_sent",
            sent.pk,
            "Offered · Travel Finance",
            f"{sent.get_model_display()} · Monthly · 2026-04-01",
            "Sent for acceptance",
            checker.pk,
            "checker@bank.example",
            sent.approved_at,
            f"/admin/revenue/agreement/{sent.pk}/change/",
            [],
        )
    ]
    assert shown["statement"] == [
        (
            "statement",
            statement.pk,
            "Skyway · Travel Finance · 2026-01-01–2026-01-31",
            "2 · 120.00\N{NO-BREAK SPACE}CNY → 36.00\N{NO-BREAK SPACE}CNY",
            "Draft",
            maker.pk,
            "maker@bank.example",
            START + timedelta(minutes=3),
            f"/admin/revenue/statement/{statement.pk}/change/",
            ["approve"],
        )
    ]
    payout = waiting["payout"]
    assert shown["payout"] == [
        (
            "payout",
            payout.pk,
            "Skyway · Travel Finance · 2026-02-01–2026-02-28",
            "TRF-7 · 2026-03-05 · 0.00\N{NO-BREAK SPACE}CNY",
            "Payout recorded, awaiting confirmation",
            maker.pk,
            "maker@bank.example",
            START + timedelta(minutes=7),
            f"/admin/revenue/statement/{payout.pk}/change/",
            ["confirm", "send_back"],
        )
    ]
    assert shown["adjustment"] == [
        (
            "adjustment",
            adjustment.pk,
            "Skyway · 12.50",
            "Agreed.",
            "Pending approval",
            maker.pk,
            "maker@bank.example",
            START + timedelta(minutes=6),
            f"/admin/revenue/adjustment/{adjustment.pk}/change/",
            ["approve", "reject"],
        )
    ]
    assert shown["dispute"] == [
        (
            "dispute",
            dispute.pk,
            "Skyway · 2026-01-01–2026-01-31",
            "Missing a sale.",
            "Open",
            alice.pk,
            "alice@skyway.example",
            START + timedelta(minutes=4),
            f"/admin/revenue/dispute/{dispute.pk}/change/",
            ["reject"],
        )
    ]


def test_each_section_links_to_the_same_items_in_the_admin(waiting):
    links = {s.kind: s.link for s in inbox.inbox_sections()}
    assert links == {
        "partner": "/admin/partners/partner/?status__in=submitted%2Cunder_review",
        "participation": "/admin/scenarios/participation/?status__exact=requested",
        "agreement": "/admin/revenue/agreement/?status__exact=pending_approval",
        "agreement_sent": "/admin/revenue/agreement/?status__exact=sent",
        "statement": "/admin/revenue/statement/?status__exact=draft",
        "payout": "/admin/revenue/statement/?status__exact=recorded",
        "adjustment": "/admin/revenue/adjustment/?status__exact=pending_approval",
        "dispute": "/admin/revenue/dispute/?status__exact=open",
        "payee_account": "/admin/payouts/payeeaccount/?status__exact=pending",
        "vat_invoice": "/admin/payouts/vatinvoice/?status__exact=submitted",
    }


def test_a_maker_nobody_recorded_shows_as_a_dash(db, clock):
    participation = ParticipationFactory(status="requested", requested_by=None)
    partner = PartnerFactory(slug="anonymous", status="submitted")  # no change row: no maker
    sections = _by_kind(inbox.inbox_sections())
    [joined] = sections["participation"].items
    [applied] = sections["partner"].items
    assert (joined.pk, joined.maker_id, joined.maker) == (participation.pk, None, "—")
    assert (applied.pk, applied.maker_id, applied.maker, applied.since) == (partner.pk, None, "—", None)


def test_items_come_oldest_first_and_each_kind_is_capped(waiting, clock, alice, monkeypatch):
    clock.shift(timedelta(minutes=1))
    _submitted("later", "Later", actor=alice)
    assert [i.title for i in _by_kind(inbox.inbox_sections())["partner"].items] == ["Applicant", "Later"]
    monkeypatch.setattr(inbox, "INBOX_SHOWN", 1)
    assert [i.title for i in _by_kind(inbox.inbox_sections())["partner"].items] == ["Applicant"]


def test_the_inbox_costs_one_query_per_kind_whatever_waits(waiting, clock, alice, maker):
    # One per kind, and two more each for the other makers of partners (reviewers, verifiers)
    # and of agreements (editors, submitters).
    with CaptureQueriesContext(connection) as few:
        sections = inbox.inbox_sections()
    assert len(few.captured_queries) == 10 + 2 + 2
    assert all(len(s.items) == 1 for s in sections)

    for n in range(3):
        clock.shift(timedelta(minutes=1))
        _submitted(f"applicant-{n}", f"Applicant {n}", actor=alice)
        ParticipationFactory(status="requested", requested_by=alice)
        partner = PartnerFactory(slug=f"joined-{n}")
        join(partner, waiting["scenario"])
        _pending_agreement(partner, waiting["scenario"], actor=maker)
    with CaptureQueriesContext(connection) as many:
        sections = _by_kind(inbox.inbox_sections())
    assert len(many.captured_queries) == 10 + 2 + 2
    assert [len(sections[k].items) for k in ("partner", "participation", "agreement")] == [4, 4, 4]
