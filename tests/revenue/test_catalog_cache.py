"""The partner catalog cache of ingest: a batch reads nothing of the catalog while it is cached,
and every change it is built from reaches every process on its very next batch, with the
shared cache (Redis) and with the embedded default (process memory and the epoch file).

As for the offer terms (``tests/scenarios/test_terms_cache.py``), two processes are simulated:
each has its own memo; a change is made "in process B" through the services and committed, and
process A, which holds the old catalog, must check its next batch against the new one. A change
made behind the services' back is not seen until the generation moves: A really answers from
its memory, so the tests of the drop can fail. The tests commit (``transaction=True``): a
catalog read inside a transaction is never kept, so only batches outside one fill the memo,
as every API batch does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from products import services as product_services
from revenue import services
from revenue.exceptions import TransactionInvalid
from revenue.models import Transaction
from revenue.services import ledger
from scenarios import services as scenario_services
from scenarios.models import Participation
from tests.api.factories import api_partner, auth, issue
from tests.caches import OtherProcess, cache_layer
from tests.factories import StaffFactory
from tests.products.factories import ProductFactory

from .factories import agreement_in_force, at, item, join, partner_finance

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings, tmp_path):
    """Each test runs on both layers: this process's memory checked against the epoch file,
    and Redis (skipped without ``TEST_REDIS_URL``)."""
    with cache_layer(request.param, settings, tmp_path, "catalog"):
        yield request.param


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


class Process(OtherProcess):
    """A web process: its own memo of partner catalogs."""

    def __init__(self, monkeypatch):
        super().__init__(monkeypatch, ledger, "catalogs", ledger.CATALOG_GENERATIONS, ledger.CATALOG_SECONDS)

    def record(self, partner, *items):
        with self.running():
            return services.transactions_record(partner=partner, items=list(items))

    def refused(self, partner, *items) -> TransactionInvalid:
        with pytest.raises(TransactionInvalid) as caught:
            self.record(partner, *items)
        return caught.value


@pytest.fixture
def a(monkeypatch):
    return Process(monkeypatch)


@pytest.fixture
def b(monkeypatch):
    return Process(monkeypatch)


@pytest.fixture
def manager(staff_roles):
    user = StaffFactory(email="pm@bank.example")
    user.groups.add(staff_roles["Product managers"])
    return user


def _queries(process, partner, *items) -> int:
    with CaptureQueriesContext(connection) as captured:
        process.record(partner, *items)
    return len(captured)


def test_a_cached_catalog_reads_nothing_and_a_plain_update_is_not_seen_until_the_generation_moves(
    layer, a, partner, joined, agreement
):
    first = _queries(a, partner, item())
    second = _queries(a, partner, item())
    assert second == first - 3  # participations, bundle items, agreements: from the memo

    Participation.objects.filter(pk=joined.pk).update(status="ended", ended_at=at(date(2026, 1, 10)))
    a.record(partner, item(day=date(2026, 1, 15)))  # behind the back: A still answers from memory

    ledger.catalog_forget()
    refused = a.refused(partner, item(day=date(2026, 1, 16)))
    assert refused.field == "transactions.0.occurred_at"
    assert str(refused.message) == (
        "You left the scenario “travel-finance” on 2026-01-10: only sales before then are taken."
    )


def test_an_agreement_coming_into_force_refuses_earlier_sales_in_another_process(
    layer, a, b, partner, scenario, joined, maker, checker
):
    result = a.record(partner, item(day=date(2025, 12, 20)))
    assert result.created == 1
    assert result.warnings  # stored, settled once an agreement covers it

    with b.running():
        agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)

    refused = a.refused(partner, item(day=date(2025, 12, 21)))
    assert refused.field == "transactions.0.occurred_at"
    assert str(refused.message) == (
        "This is before your first agreement for this scenario (from 2026-01-01)."
    )


def test_an_agreement_superseded_up_to_a_date_ends_coverage_in_another_process(
    layer, a, b, partner, scenario, joined, agreement, maker, checker
):
    assert not a.record(partner, item(day=date(2026, 4, 15))).warnings

    with b.running():
        successor = services.agreement_create(
            actor=maker,
            partner=partner,
            scenario=scenario,
            model="percentage",
            terms={"rate": "0.250000"},
            cycle="monthly",
            effective_from=date(2026, 3, 1),
            effective_to=date(2026, 3, 31),
            supersedes=agreement,
        )
        services.agreement_submit(agreement=successor, actor=maker)
        services.agreement_approve(agreement=successor, actor=checker)
        services.agreement_accept(agreement=successor, actor=partner_finance(partner))

    late = item(day=date(2026, 4, 16))
    assert a.record(partner, late).warnings == {
        late["external_id"]: "No approved agreement covers 2026-04-16: the transaction is not settled "
        "until one does."
    }


def test_leaving_a_scenario_refuses_later_sales_in_another_process(
    layer, a, b, partner, alice, joined, agreement
):
    a.record(partner, item())

    with b.running():
        scenario_services.participation_leave(participation=joined, actor=alice, reason="Not selling it")

    refused = a.refused(partner, item(occurred_at=timezone.now()))
    assert refused.field == "transactions.0.occurred_at"
    assert "You left the scenario “travel-finance”" in str(refused.message)
    a.record(partner, item(day=date(2026, 1, 20)))  # a sale before it left is still taken


def test_a_retired_version_is_refused_in_another_process(
    layer, a, b, partner, scenario, joined, agreement, manager
):
    a.record(partner, item())

    with b.running():
        scenario_services.scenario_retire(
            scenario=scenario, actor=manager, reason="Withdrawn", end_participations=True
        )

    refused = a.refused(partner, item(occurred_at=timezone.now()))
    assert refused.field == "transactions.0.scenario"
    assert str(refused.message) == "You do not actively take part in the scenario “travel-finance”."


def test_a_move_to_a_new_version_reports_against_its_bundle_in_another_process(
    layer, a, b, partner, alice, scenario, joined, agreement, manager
):
    with b.running():
        draft = scenario_services.scenario_new_version(scenario=scenario, actor=manager)
        scenario_services.bundle_item_add(
            scenario=draft, product=ProductFactory(code="trip-hotel"), actor=manager, role="cross_sell"
        )
        scenario_services.scenario_publish(scenario=draft, actor=manager, reason="hotels")
    refused = a.refused(partner, item(product="trip-hotel"))  # still on version 1
    assert refused.field == "transactions.0.product"

    with b.running():
        scenario_services.participation_move(participation=joined, actor=alice)

    a.record(partner, hotel := item(product="trip-hotel"))
    assert Transaction.objects.get(external_id=hotel["external_id"]).scenario_id == draft.pk


def test_a_product_limit_change_is_checked_in_another_process(
    layer, a, b, partner, products, joined, agreement, manager
):
    a.record(partner, item(amount="1234.50"))

    with b.running():
        product_services.product_update(product=products[0], actor=manager, max_amount=Decimal("1000.00"))

    refused = a.refused(partner, item(amount="1234.50"))
    assert refused.field == "transactions.0.amount"
    assert str(refused.message) == "At most 1,000.00 for this product."


def test_a_change_made_in_the_batch_s_own_transaction_is_seen_and_a_rollback_leaves_nothing_behind(
    layer, a, partner, alice, joined, agreement
):
    a.record(partner, item())  # cached

    with a.running(), transaction.atomic():
        scenario_services.participation_leave(participation=joined, actor=alice, reason="Not selling it")
        with pytest.raises(TransactionInvalid):
            services.transactions_record(partner=partner, items=[item(occurred_at=timezone.now())])
        transaction.set_rollback(True)

    # The leave never happened: the next batch is checked against the committed catalog.
    a.record(partner, item(occurred_at=timezone.now()))


def test_an_api_batch_after_a_change_is_refused_as_before(layer, scenario, maker, checker):
    partner = api_partner("skyway")
    join(partner, scenario)
    key = issue(partner).key
    api = APIClient()

    def post(external_id: str):
        body = {
            "transactions": [
                {
                    "external_id": external_id,
                    "scenario": "travel-finance",
                    "product": "trip-installment",
                    "kind": "sale",
                    "amount": "100.00",
                    "occurred_at": "2025-12-20T12:00:00+08:00",
                }
            ]
        }
        return api.post("/api/v1/transactions/", body, format="json", **auth(key))

    assert post("a").status_code == 201
    assert post("b").status_code == 201  # from the memo of this process

    agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)

    response = post("c")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "transactions.0.occurred_at": [
            "This is before your first agreement for this scenario (from 2026-01-01)."
        ]
    }
