"""A refund names the sale it reverses (``refund_of``), never takes back more than remains of
it, and is clawed back at what that sale earned."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from revenue.exceptions import TransactionInvalid
from revenue.models import Statement, StatementLine, Transaction
from revenue.services import settlement_start
from tests.api.factories import api_partner, auth, issue

from .factories import agreement_in_force, item, join, record

pytestmark = pytest.mark.django_db

JAN, FEB = date(2026, 1, 31), date(2026, 2, 28)


def lines(statement, kind):
    return [
        (line.transaction_count, line.gross_amount, line.share_amount)
        for line in statement.lines.filter(kind=kind).order_by("position")
    ]


def test_a_refund_must_name_its_sale(partner, agreement):
    with pytest.raises(TransactionInvalid) as refused:
        record(partner, item(external_id="s"), item(kind="refund", amount="1.00"))

    assert refused.value.field == "transactions.1.refund_of"
    assert not Transaction.objects.exists()


def test_a_sale_cannot_name_a_sale(partner, agreement):
    with pytest.raises(TransactionInvalid) as refused:
        record(partner, item(external_id="s"), item(refund_of="s"))

    assert refused.value.field == "transactions.1.refund_of"


def test_refunds_never_exceed_what_remains_of_the_sale(partner, agreement):
    record(partner, item(external_id="s", amount="100.00"))
    record(partner, item(external_id="r1", kind="refund", amount="60.00", refund_of="s"))
    record(partner, item(external_id="r2", kind="refund", amount="40.00", refund_of="s"))

    with pytest.raises(TransactionInvalid) as refused:
        record(partner, item(external_id="r3", kind="refund", amount="0.01", refund_of="s"))

    assert refused.value.field == "transactions.0.amount"
    assert "0.00 remains" in str(refused.value)
    assert Transaction.objects.filter(kind="refund").count() == 2


def test_two_refunds_in_one_batch_are_checked_together(partner, agreement):
    record(partner, item(external_id="s", amount="100.00"))

    with pytest.raises(TransactionInvalid) as refused:
        record(
            partner,
            item(external_id="r1", kind="refund", amount="70.00", refund_of="s"),
            item(external_id="r2", kind="refund", amount="40.00", refund_of="s"),
        )

    assert refused.value.field.endswith(".amount")
    assert Transaction.objects.count() == 1


def test_a_replayed_refund_is_a_duplicate_not_an_excess(partner, agreement):
    record(partner, item(external_id="s", amount="100.00"))
    refund = item(external_id="r", kind="refund", amount="100.00", refund_of="s")
    record(partner, refund)

    again = record(partner, refund)

    assert (again.created, again.duplicates) == (0, 1)


def test_a_sale_and_its_refund_may_come_in_one_batch(partner, agreement):
    result = record(
        partner,
        item(external_id="r", kind="refund", amount="30.00", refund_of="s"),
        item(external_id="s", amount="100.00"),
    )

    assert result.created == 2
    refund = Transaction.objects.get(external_id="r")
    assert refund.refund_of == Transaction.objects.get(external_id="s")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"product": "trip-cover"}, "refund_of"),
        ({"refund_of": "nope"}, "refund_of"),
        ({"day": date(2026, 1, 2)}, "occurred_at"),
    ],
)
def test_a_refund_of_another_product_an_unknown_sale_or_before_its_sale_is_refused(
    partner, agreement, change, field
):
    record(partner, item(external_id="s", day=date(2026, 1, 10)))
    refund = {"external_id": "r", "kind": "refund", "amount": "1.00", "refund_of": "s", **change}

    with pytest.raises(TransactionInvalid) as refused:
        record(partner, item(**refund))

    assert refused.value.field == f"transactions.0.{field}"


def test_another_partners_sale_cannot_be_refunded(partner, other_partner, agreement, scenario):
    join(other_partner, scenario)
    record(other_partner, item(external_id="theirs"))

    with pytest.raises(TransactionInvalid) as refused:
        record(partner, item(external_id="r", kind="refund", amount="1.00", refund_of="theirs"))

    assert refused.value.field == "transactions.0.refund_of"
    assert "No sale" in str(refused.value)


def test_a_fixed_fee_is_reversed_only_when_the_sale_is_fully_refunded(
    maker, checker, partner, scenario, joined
):
    agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, model="fixed_per_transaction",
        terms={"amount": "3.00"},
    )  # fmt: skip
    record(partner, item(external_id="a", amount="100.00"), item(external_id="b", amount="50.00"))
    record(
        partner,
        item(external_id="a1", kind="refund", amount="1.00", refund_of="a"),
        item(external_id="a2", kind="refund", amount="1.00", refund_of="a"),
        item(external_id="b1", kind="refund", amount="20.00", refund_of="b"),
        item(external_id="b2", kind="refund", amount="30.00", refund_of="b"),
    )

    settlement_start(through=JAN, trigger="command")

    statement = Statement.objects.get()
    # Two sales earn 6.00; b is refunded in full (one fee back), a only in part (none).
    assert lines(statement, "sale") == [(2, Decimal("150.00"), Decimal("6.00"))]
    assert lines(statement, "refund") == [(4, Decimal("-52.00"), Decimal("-3.00"))]
    assert statement.share_amount == Decimal("3.00")


def test_a_fixed_fee_of_a_sale_settled_earlier_is_reversed_at_that_fee(
    maker, checker, partner, scenario, joined
):
    old = agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, model="fixed_per_transaction",
        terms={"amount": "3.00"},
    )  # fmt: skip
    record(partner, item(external_id="a", amount="100.00", day=date(2026, 1, 20)))
    settlement_start(through=JAN, trigger="command")
    agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, model="fixed_per_transaction",
        terms={"amount": "5.00"}, effective_from=date(2026, 2, 1), supersedes=old,
    )  # fmt: skip
    record(
        partner,
        item(external_id="a1", kind="refund", amount="40.00", refund_of="a", day=date(2026, 2, 3)),
        item(external_id="a2", kind="refund", amount="60.00", refund_of="a", day=date(2026, 2, 4)),
    )

    settlement_start(through=FEB, trigger="command")

    february = Statement.objects.get(period_start=date(2026, 2, 1))
    assert lines(february, "refund") == [(2, Decimal("-100.00"), Decimal("-3.00"))]


def test_a_tiered_refund_is_clawed_back_at_the_rate_its_sale_earned(
    maker, checker, partner, scenario, joined
):
    # 10 % up to 1,000, then 25 %.
    agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, model="tiered",
        terms={"tiers": [{"up_to": "1000.00", "rate": "0.10"}, {"up_to": None, "rate": "0.25"}]},
    )  # fmt: skip
    record(partner, item(external_id="big", amount="5000.00", day=date(2026, 1, 10)))
    settlement_start(through=JAN, trigger="command")
    january = Statement.objects.get()
    assert january.share_amount == Decimal("1100.00")  # 100 + 4,000 × 25 %: 22 % on average

    # February nets negative: without the link it would be clawed back at the first band (10 %).
    record(
        partner,
        item(external_id="feb", amount="100.00", day=date(2026, 2, 2)),
        item(external_id="back", kind="refund", amount="4000.00", refund_of="big", day=date(2026, 2, 5)),
    )
    settlement_start(through=FEB, trigger="command")

    february = Statement.objects.get(period_start=date(2026, 2, 1))
    assert lines(february, "refund") == [(1, Decimal("-4000.00"), Decimal("-880.00"))]  # at 22 %
    assert lines(february, "sale") == [(1, Decimal("100.00"), Decimal("10.00"))]
    assert february.share_amount == Decimal("-870.00")
    assert february.gross_amount == Decimal("-3900.00")


def test_a_percentage_refund_is_clawed_back_at_the_rate_of_the_agreement_that_paid_the_sale(
    maker, checker, partner, scenario, joined
):
    old = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)  # 30 %
    record(partner, item(external_id="s", amount="200.00", day=date(2026, 1, 10)))
    settlement_start(through=JAN, trigger="command")
    agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, terms={"rate": "0.100000"},
        effective_from=date(2026, 2, 1), supersedes=old,
    )  # fmt: skip
    record(partner, item(external_id="r", kind="refund", amount="50.00", refund_of="s", day=date(2026, 2, 2)))

    settlement_start(through=FEB, trigger="command")

    february = Statement.objects.get(period_start=date(2026, 2, 1))
    assert lines(february, "refund") == [(1, Decimal("-50.00"), Decimal("-15.00"))]
    assert StatementLine.objects.filter(kind="refund").count() == 1


def test_the_api_takes_and_shows_refund_of(maker, checker, scenario):
    partner = api_partner("refunder")
    join(partner, scenario)
    agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    key = issue(partner).key
    client = APIClient()
    body = {
        "transactions": [
            {"external_id": "s", "scenario": "travel-finance", "product": "trip-installment", "kind": "sale",
             "amount": "100.00", "occurred_at": "2026-01-15T10:00:00+08:00"},
            {"external_id": "r", "scenario": "travel-finance", "product": "trip-installment", "kind": "refund",
             "amount": "100.01", "occurred_at": "2026-01-16T10:00:00+08:00", "refund_of": "s"},
        ]
    }  # fmt: skip

    too_much = client.post("/api/v1/transactions/", body, format="json", **auth(key))
    body["transactions"][1]["amount"] = "25.00"
    created = client.post("/api/v1/transactions/", body, format="json", **auth(key))
    listed = client.get("/api/v1/transactions/", **auth(key))

    assert too_much.status_code == 400
    assert "transactions.1.amount" in str(too_much.json())
    assert created.status_code == 201
    assert {r["external_id"]: r["refund_of"] for r in listed.json()["results"]} == {"s": None, "r": "s"}
