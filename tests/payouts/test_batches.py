"""Payout batches: built from payable statements with claw-backs netted line by line, released
by someone other than the maker (superusers too), cancelled while a draft."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from partners.models import Notification
from payouts.exceptions import PayoutError, PayoutMakerChecker, PayoutNotAllowed, PayoutStatusMoveInvalid
from payouts.models import Payout, PayoutBatch, PayoutLine
from payouts.services.batches import payout_batch_build, payout_batch_cancel, payout_batch_release
from revenue import services as revenue_services
from revenue.exceptions import RevenueError
from revenue.models import Statement, StatementStatusChange
from tests.factories import MembershipFactory, StaffFactory, UserFactory
from tests.revenue.factories import scenario_with_products

from .batch_helpers import approved_statement, invoice_verified, payable_partner, staff

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def people(staff_roles):
    return staff(staff_roles)


@pytest.fixture
def scenario(db):
    return scenario_with_products()[0]


@pytest.fixture
def skyway(people, scenario):
    maker, checker = people
    return payable_partner(maker=maker, checker=checker, scenario=scenario, slug="skyway")


@pytest.fixture
def waived(settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard", "premier", "strategic")


def build(maker, **kwargs):
    return payout_batch_build(actor=maker, currency="CNY", requested_execution_date=TODAY(), **kwargs)


def lines(batch):
    return list(
        PayoutLine.objects.filter(batch=batch)
        .order_by("partner_id", "position")
        .values_list("statement_id", "amount")
    )


def test_claw_backs_are_netted_line_by_line_oldest_first(people, skyway, waived):
    maker, _checker = people
    old_claw = approved_statement(skyway, "-30.00")
    owed = [approved_statement(skyway, "100.00"), approved_statement(skyway, "50.25")]
    new_claw = approved_statement(skyway, "-200.00")

    batch = build(maker)

    assert lines(batch) == [
        (owed[0].pk, Decimal("100.00")),
        (owed[1].pk, Decimal("50.25")),
        (old_claw.pk, Decimal("-30.00")),
        (new_claw.pk, Decimal("-120.25")),  # at most what is still owed
    ]
    assert not Payout.objects.filter(batch=batch).exists()  # net 0: nothing paid
    assert (batch.status, batch.payment_count, batch.total_amount) == ("draft", 0, Decimal("0.00"))

    # The rest of the newer claw-back (79.75) carries forward to the next batch.
    later = approved_statement(skyway, "100.00")
    second = build(maker)
    assert lines(second) == [(later.pk, Decimal("100.00")), (new_claw.pk, Decimal("-79.75"))]
    payout = Payout.objects.get(batch=second)
    assert (payout.amount, payout.partner_id) == (Decimal("20.25"), skyway.partner_id)
    assert second.total_amount == Decimal("20.25")
    assert second.payment_count == 1


def test_ids_are_short_safe_unique_and_fixed_at_build(people, skyway, waived):
    maker, checker = people
    approved_statement(skyway, "10.00")
    batch = build(maker)
    payout = Payout.objects.get(batch=batch)
    assert batch.message_id == f"FNB{batch.pk:010d}"
    assert payout.end_to_end_id == f"FNB{batch.pk:010d}P{skyway.partner_id:010d}CNY"
    for value in (batch.message_id, payout.end_to_end_id):
        assert len(value) <= 35
        assert value.isalnum()
        assert value.isascii()
    payout_batch_release(batch=batch, actor=checker)
    batch.refresh_from_db()
    payout.refresh_from_db()
    assert batch.message_id == f"FNB{batch.pk:010d}"
    assert payout.end_to_end_id.startswith(batch.message_id)


def test_only_payable_statements_are_batched(people, scenario, skyway, settings):
    maker, checker = people
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ()
    invoiced = approved_statement(skyway, "80.00")
    invoice_verified(invoiced)
    no_invoice = approved_statement(skyway, "70.00")
    usd = approved_statement(skyway, "60.00", currency="USD")
    zero = approved_statement(skyway, "0.00")
    no_account = payable_partner(
        maker=maker, checker=checker, scenario=scenario, slug="noacct", account=False
    )
    unpaid = approved_statement(no_account, "90.00")

    batch = build(maker)

    assert lines(batch) == [(invoiced.pk, Decimal("80.00"))]
    with pytest.raises(PayoutError) as refused:
        build(maker, statement_ids=[no_invoice.pk, usd.pk, zero.pk, unpaid.pk, invoiced.pk, 999999])
    assert refused.value.field == "statement_ids"
    for text in (
        f"#{no_invoice.pk}: no verified VAT invoice",
        f"#{usd.pk}: in USD",
        f"#{zero.pk}: nothing owed",
        f"#{unpaid.pk}: no verified payee account",
        f"#{invoiced.pk}: already in a live batch",
        "#999999: no such statement",
    ):
        assert text in refused.value.message
    assert PayoutBatch.objects.count() == 1  # nothing half-written


def test_chosen_statements_only_and_the_partners_claw_backs_with_them(people, skyway, waived):
    maker, _checker = people
    first, second = approved_statement(skyway, "40.00"), approved_statement(skyway, "60.00")
    claw = approved_statement(skyway, "-10.00")
    batch = build(maker, statement_ids=[second.pk])
    assert lines(batch) == [(second.pk, Decimal("60.00")), (claw.pk, Decimal("-10.00"))]
    assert Payout.objects.get(batch=batch).amount == Decimal("50.00")
    assert lines(build(maker)) == [(first.pk, Decimal("40.00"))]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("currency", {"currency": "yuan"}),
        ("requested_execution_date", {"requested_execution_date": None}),
        ("requested_execution_date", {"requested_execution_date": "2026-01-01"}),
        ("statement_ids", {"statement_ids": ["x"]}),
        ("statement_ids", {"statement_ids": []}),
        ("currency", {}),  # nothing to pay
    ],
)
def test_bad_input_is_refused_naming_the_field(people, field, kwargs):
    maker, _checker = people
    arguments = {"currency": "CNY", "requested_execution_date": TODAY(), **kwargs}
    with pytest.raises(PayoutError) as refused:
        payout_batch_build(actor=maker, **arguments)
    assert refused.value.field == field
    assert not PayoutBatch.objects.exists()


def test_a_past_execution_date_is_refused(people, skyway, waived):
    maker, _checker = people
    approved_statement(skyway, "10.00")
    with pytest.raises(PayoutError) as refused:
        payout_batch_build(
            actor=maker, currency="CNY", requested_execution_date=TODAY().replace(year=TODAY().year - 1)
        )
    assert refused.value.field == "requested_execution_date"


def test_building_and_releasing_need_their_permissions(people, skyway, waived):
    maker, checker = people
    approved_statement(skyway, "10.00")
    with pytest.raises(PayoutNotAllowed):
        build(checker)
    batch = build(maker)
    with pytest.raises(PayoutNotAllowed):
        payout_batch_release(batch=batch, actor=maker)  # a maker holds no release permission
    with pytest.raises(PayoutNotAllowed):
        payout_batch_release(batch=batch, actor=None)  # the system releases nothing


def test_the_maker_never_releases_superuser_or_not(people, skyway, waived):
    _maker, checker = people
    boss = StaffFactory(email="boss@bank.example", is_superuser=True)
    approved_statement(skyway, "10.00")
    batch = build(boss)
    with pytest.raises(PayoutMakerChecker, match="built it"):
        payout_batch_release(batch=batch, actor=boss)
    batch.refresh_from_db()
    assert batch.status == "draft"
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutBatch.objects.filter(pk=batch.pk).update(
            status="released", released_by=boss, released_at=timezone.now()
        )
    payout_batch_release(batch=batch, actor=checker)
    batch.refresh_from_db()
    assert (batch.status, batch.released_by) == ("released", checker)


def test_release_moves_statements_and_payments_and_tells_the_partner(
    people, skyway, waived, django_capture_on_commit_callbacks
):
    maker, checker = people
    alice = UserFactory(email="alice@skyway.example")
    MembershipFactory(user=alice, partner=skyway.partner, role="owner")
    owed = approved_statement(skyway, "100.00")
    claw = approved_statement(skyway, "-30.00")
    batch = build(maker)

    with pytest.raises(RevenueError):  # a batched statement is not paid by hand
        revenue_services.statement_pay(statement=owed, actor=maker, payout_reference="TRF-1", paid_on=TODAY())

    with django_capture_on_commit_callbacks(execute=True):
        payout_batch_release(batch=batch, actor=checker)

    batch.refresh_from_db()
    owed.refresh_from_db()
    claw.refresh_from_db()
    payout = Payout.objects.get(batch=batch)
    assert batch.status == "released"
    assert batch.released_at.microsecond == 0
    assert payout.status == "in_payment"
    assert payout.amount == Decimal("70.00")
    assert owed.status == "in_payment"
    assert owed.api_status == "approved"
    # The claw-back is taken in full: settled by netting.
    assert (claw.status, claw.paid_on, claw.payout_reference) == (
        "paid",
        TODAY(),
        f"NETTED {batch.message_id}",
    )
    assert list(
        StatementStatusChange.objects.filter(statement__in=[owed, claw])
        .order_by("statement_id", "id")
        .values_list("statement_id", "from_status", "to_status", "changed_by")
    ) == [
        (owed.pk, "approved", "in_payment", checker.pk),
        (claw.pk, "approved", "paid", checker.pk),
    ]
    notice = Notification.objects.get(recipient=alice)
    assert notice.kind == "payout.released"
    assert "70.00" in notice.params["amount"]
    assert notice.params["reference"] == payout.end_to_end_id

    # A second release of the same batch: refused, nothing moves again.
    with pytest.raises(PayoutStatusMoveInvalid):
        payout_batch_release(batch=batch, actor=checker)


def test_a_partner_netted_to_zero_is_paid_nothing_and_its_statements_are_settled_by_netting(
    people, skyway, waived
):
    maker, checker = people
    owed = approved_statement(skyway, "40.00")
    claw = approved_statement(skyway, "-100.00")
    batch = build(maker)
    payout_batch_release(batch=batch, actor=checker)
    owed.refresh_from_db()
    claw.refresh_from_db()
    assert (owed.status, owed.payout_reference) == ("paid", f"NETTED {batch.message_id}")
    assert claw.status == "approved"  # 60.00 still to take
    later = approved_statement(skyway, "100.00")
    second = build(maker)
    assert lines(second) == [(later.pk, Decimal("100.00")), (claw.pk, Decimal("-60.00"))]
    payout_batch_release(batch=second, actor=checker)
    claw.refresh_from_db()
    assert claw.status == "paid"


def test_a_claw_back_taken_by_two_drafts_is_settled_when_the_last_is_released(people, skyway, waived):
    maker, checker = people
    claw = approved_statement(skyway, "-100.00")
    first_owed = approved_statement(skyway, "30.00")
    first = build(maker)
    approved_statement(skyway, "200.00")
    second = build(maker)
    assert lines(second)[-1] == (claw.pk, Decimal("-70.00"))
    payout_batch_release(batch=second, actor=checker)
    claw.refresh_from_db()
    assert claw.status == "approved"
    payout_batch_release(batch=first, actor=checker)
    claw.refresh_from_db()
    first_owed.refresh_from_db()
    assert (claw.status, first_owed.status) == ("paid", "paid")  # first paid nothing: netted


def test_cancelling_a_draft_frees_its_lines(people, skyway, waived):
    maker, checker = people
    owed = approved_statement(skyway, "100.00")
    claw = approved_statement(skyway, "-30.00")
    batch = build(maker)
    payout_batch_cancel(batch=batch, actor=maker, reason="wrong date")
    batch.refresh_from_db()
    assert (batch.status, batch.cancelled_by, batch.cancel_reason) == ("cancelled", maker, "wrong date")
    assert Payout.objects.get(batch=batch).status == "cancelled"
    again = build(maker)
    assert lines(again) == [(owed.pk, Decimal("100.00")), (claw.pk, Decimal("-30.00"))]
    assert again.message_id != batch.message_id
    with pytest.raises(PayoutStatusMoveInvalid):
        payout_batch_release(batch=batch, actor=checker)
    payout_batch_release(batch=again, actor=checker)
    with pytest.raises(PayoutStatusMoveInvalid):
        payout_batch_cancel(batch=again, actor=maker)


def test_a_statement_paid_by_hand_meanwhile_stops_the_release(people, skyway, waived):
    maker, checker = people
    owed = approved_statement(skyway, "100.00")
    batch = build(maker)
    Statement.objects.filter(pk=owed.pk).update(status="recorded", paid_on=TODAY(), payout_reference="X")
    with pytest.raises(PayoutStatusMoveInvalid, match=f"#{owed.pk}"):
        payout_batch_release(batch=batch, actor=checker)
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"


def test_the_database_refuses_one_statement_in_two_live_batches(people, skyway, waived):
    maker, _checker = people
    owed = approved_statement(skyway, "100.00")
    batch = build(maker)
    other = PayoutBatch.objects.create(requested_execution_date=TODAY(), message_id="OTHER", created_by=maker)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.create(
            batch=other, partner_id=owed.partner_id, statement=owed, amount=Decimal("100.00")
        )
    payout_batch_cancel(batch=batch, actor=maker)
    PayoutLine.objects.create(
        batch=other, partner_id=owed.partner_id, statement=owed, amount=Decimal("100.00")
    )
