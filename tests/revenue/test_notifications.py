"""Statements and disputes tell the partner (and staff) through the notification centre:
each event exactly once, after its commit, with the amounts the partner will read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from partners.models import Notification
from revenue import services
from revenue.models import Statement
from tests.factories import MembershipFactory, UserFactory

from .factories import item, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def fiona(partner):
    user = UserFactory(email="fiona@skyway.example")
    MembershipFactory(user=user, partner=partner, role="finance")
    return user


@pytest.fixture
def statement(partner, fiona, agreement, alice, django_capture_on_commit_callbacks):
    # fiona first: she is the finance member who accepts the agreement (``partner_finance``)
    record(partner, item(amount="100.00"))
    with django_capture_on_commit_callbacks(execute=True):
        services.settlement_start(through=date(2026, 1, 31), trigger="command")
    return Statement.objects.get()


def _of(kind: str):
    return Notification.objects.filter(kind=kind)


def test_a_settled_statement_tells_owner_and_finance_once(statement, partner):
    rows = _of("statement.ready")
    assert sorted(rows.values_list("recipient__email", flat=True)) == [
        "alice@skyway.example",
        "fiona@skyway.example",
    ]
    row = rows.first()
    assert row.partner_id == partner.pk
    assert row.link == reverse("portal:statement", args=[statement.pk])
    assert row.params["statement"] == f"#{statement.pk}"
    assert row.params["amount"] == "30.00\N{NO-BREAK SPACE}CNY"
    assert row.params["period"] == "2026-01-01 – 2026-01-31"


def test_approval_and_confirmed_payout_each_tell_once(
    statement, maker, checker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.statement_prepare(statement=statement, actor=maker)
        services.statement_approve(statement=statement, actor=checker)
    assert _of("statement.approved").count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.statement_pay(
            statement=statement, actor=maker, payout_reference="TRF-1", paid_on=date(2026, 2, 5)
        )
    assert not _of("statement.paid").exists()  # recorded is not paid
    with django_capture_on_commit_callbacks(execute=True):
        services.statement_payout_confirm(statement=statement, actor=checker)
    assert _of("statement.paid").count() == 2
    assert _of("statement.approved").count() == 2


def test_a_refused_approval_tells_nobody(statement, maker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception):  # noqa: B017
        services.statement_approve(statement=statement, actor=maker)  # not prepared
    assert not _of("statement.approved").exists()


def test_a_dispute_tells_the_partner_and_the_staff_who_resolve_it(
    statement, alice, maker, checker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dispute = services.dispute_raise(line=statement.lines.first(), actor=alice, reason="Missing a sale.")
    assert _of("dispute.received").count() == 2
    staff = _of("dispute.opened")
    assert list(staff.values_list("recipient__email", flat=True)) == [maker.email]
    assert staff.get().partner_id is None
    assert staff.get().link == reverse("admin:revenue_dispute_change", args=[dispute.pk])

    with django_capture_on_commit_callbacks(execute=True):
        adjustment = services.dispute_propose_adjustment(
            dispute=dispute, actor=maker, amount=Decimal("12.50"), reason="Agreed."
        )
    proposed = _of("dispute.proposed")
    assert proposed.count() == 2
    assert proposed.first().params["amount"] == "12.50\N{NO-BREAK SPACE}CNY"
    assert not _of("dispute.resolved").exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.adjustment_approve(adjustment=adjustment, actor=checker)
    resolved = _of("dispute.resolved")
    assert resolved.count() == 2
    assert "12.50" in resolved.first().params["amount"]


def test_a_rejected_dispute_tells_the_reason(statement, alice, maker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dispute = services.dispute_raise(line=statement.lines.first(), actor=alice, reason="Missing a sale.")
    with django_capture_on_commit_callbacks(execute=True):
        services.dispute_reject(dispute=dispute, actor=maker, reason="The sale is in February.")
    rejected = _of("dispute.rejected")
    assert rejected.count() == 2
    assert rejected.first().params["reason"] == "The sale is in February."
