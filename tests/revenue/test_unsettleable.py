"""Transactions no agreement will settle: before the partner's first agreement of the scenario
they are refused; in a gap or after an end with no successor they are stored with a warning and
listed for staff."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from revenue.exceptions import TransactionInvalid
from revenue.models import Transaction
from revenue.selectors import transactions_without_agreement
from revenue.services import agreement_accept, agreement_approve, agreement_create, agreement_submit
from tests.api.factories import api_partner, auth, issue

from .factories import agreement_in_force, item, join, partner_finance, record

pytestmark = pytest.mark.django_db


def test_a_transaction_before_the_first_agreement_is_refused_naming_the_field(partner, agreement):
    with pytest.raises(TransactionInvalid) as refused:
        record(partner, item(day=date(2026, 1, 2)), item(day=date(2025, 12, 31)))

    assert refused.value.field == "transactions.1.occurred_at"
    assert "2026-01-01" in str(refused.value)
    assert not Transaction.objects.exists()


def test_rows_no_agreement_covers_are_stored_with_a_warning_and_reported(partner, joined):
    result = record(partner, item(external_id="orphan", day=date(2026, 3, 2)))

    assert result.created == 1
    assert "No approved agreement covers this scenario" in result.warnings["orphan"]
    assert list(
        transactions_without_agreement(Transaction.objects.all()).values_list("external_id", flat=True)
    ) == ["orphan"]


def test_a_row_after_an_agreement_ended_without_successor_is_reported(
    maker, checker, partner, scenario, joined
):
    agreement = agreement_create(
        actor=maker, partner=partner, scenario=scenario, model="percentage", terms={"rate": "0.1"}, cycle="monthly",
        effective_from=date(2026, 1, 1), effective_to=date(2026, 1, 31),
    )  # fmt: skip
    agreement_submit(agreement=agreement, actor=maker)
    agreement_approve(agreement=agreement, actor=checker)
    agreement_accept(agreement=agreement, actor=partner_finance(partner))

    result = record(
        partner, item(external_id="in", day=date(2026, 1, 20)), item(external_id="out", day=date(2026, 2, 3))
    )

    assert result.warnings == {"out": result.warnings["out"]}
    assert "2026-02-03" in result.warnings["out"]
    uncovered = transactions_without_agreement(Transaction.objects.all())
    assert list(uncovered.values_list("external_id", flat=True)) == ["out"]


def test_the_api_answers_the_warning_per_row(maker, checker, scenario):
    partner = api_partner("gappy")
    join(partner, scenario)
    agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, effective_from=date(2026, 1, 1)
    )
    body = {
        "transactions": [
            {"external_id": "ok", "scenario": "travel-finance", "product": "trip-installment", "kind": "sale",
             "amount": "10.00", "occurred_at": "2026-01-15T10:00:00+08:00"},
            {"external_id": "early", "scenario": "travel-finance", "product": "trip-installment", "kind": "sale",
             "amount": "10.00", "occurred_at": "2025-12-15T10:00:00+08:00"},
        ]
    }  # fmt: skip
    client = APIClient()

    refused = client.post("/api/v1/transactions/", body, format="json", **auth(issue(partner).key))
    body["transactions"].pop()
    accepted = client.post(
        "/api/v1/transactions/", body, format="json", **auth(issue(partner, name="k2").key)
    )

    assert refused.status_code == 400
    assert "transactions.1.occurred_at" in str(refused.json())
    assert accepted.status_code == 201
    assert "warning" not in accepted.json()["results"][0]


def test_staff_filter_the_ledger_to_the_unsettleable_rows(admin_client, partner, joined):
    record(partner, item(external_id="orphan", day=date(2026, 3, 2)))

    page = admin_client.get("/admin/revenue/transaction/", {"covered": "no"})

    assert page.status_code == 200
    assert "orphan" in page.content.decode()


@pytest.mark.parametrize(
    ("spans", "day", "covered"),
    [
        ([(date(2026, 1, 1), None)], date(2026, 5, 1), True),
        ([(date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), None)], date(2026, 2, 1), True),
        ([(date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 3, 1), None)], date(2026, 2, 10), False),
        ([(date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 3, 1), None)], date(2026, 3, 10), True),
        ([(date(2026, 1, 1), date(2026, 1, 31))], date(2026, 2, 1), False),
        ([], date(2026, 2, 1), False),
    ],
)
def test_the_catalog_knows_which_days_an_agreement_covers(spans, day, covered):
    from revenue.services.ledger import Catalog

    catalog = Catalog({}, {"travel-finance": spans} if spans else {})

    assert (catalog.coverage_gap("travel-finance", day) is None) is covered
