"""Offers for partners: the version they participate in, errors naming the request field,
other partners' scenarios indistinguishable from missing ones, requests counted per day."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from products import services as product_services
from scenarios import selectors, services
from scenarios.exceptions import (
    AmountNotOffered,
    EventNotTriggered,
    NothingToOffer,
    OfferRefused,
    PartnerNotActive,
    ScenarioNotAvailable,
    SegmentUnknown,
    TenorNotOffered,
)
from scenarios.models import OfferQuoteDaily, Scenario
from scenarios.services.offers import quote_counts
from tests.factories import PartnerFactory
from tests.products.factories import ProductFactory, SegmentFactory, SegmentPriceFactory
from tests.scenarios.conftest import compose, consent_given
from tests.scenarios.factories import BundleItemFactory, ParticipationFactory, ScenarioFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ask(partner, code="travel-finance", **kw):
    kw.setdefault("event", "booking.created")
    kw.setdefault("amount", D("10000.00"))
    return [quoted.offer for quoted in services.offer_quote(partner=partner, scenario_code=code, **kw).offers]


def test_a_participating_partner_gets_priced_offers_in_item_order(joined, partner):
    SegmentPriceFactory(
        product=joined.scenario.items.get(position=1).product, segment=SegmentFactory(code="vip")
    )

    offers = ask(partner, segment="vip", tenor_months=12, consent=consent_given())

    assert [(o.product, o.category) for o in offers] == [
        ("trip-installment", "installment"),
        ("trip-cover", "insurance"),
    ]
    assert offers[0].price.annual_rate == D("0.110000")  # 0.12 − 0.01 for VIP
    assert sum(r.principal for r in offers[0].schedule) == D("10000.00")
    assert services.offer_as_dict(offers[1]) == {
        "product": "trip-cover",
        "category": "insurance",
        "price": {"premium_rate": "0.005000", "premium": "50.00"},
    }


def test_another_partners_scenario_looks_exactly_like_a_missing_one(joined, other_partner):
    with pytest.raises(ScenarioNotAvailable) as theirs:
        ask(other_partner)
    with pytest.raises(ScenarioNotAvailable) as missing:
        ask(other_partner, code="no-such-scenario")

    # The message names the code asked for, and only that tells the two apart.
    assert (theirs.value.field, theirs.value.message.replace("travel-finance", "?"), theirs.value.status_code) == (
        missing.value.field, missing.value.message.replace("no-such-scenario", "?"), missing.value.status_code,
    )  # fmt: skip
    assert theirs.value.field == "scenario"
    assert theirs.value.message == "No scenario “travel-finance” is available to you."


def test_a_request_not_yet_approved_gets_no_offers(published, partner):
    services.participation_request(partner=partner, scenario=published)

    with pytest.raises(ScenarioNotAvailable):
        ask(partner)


def test_a_partner_that_is_not_active_gets_no_offers(joined, partner):
    partner.status = "suspended"
    partner.save()

    with pytest.raises(PartnerNotActive) as caught:
        ask(partner)

    assert caught.value.status_code == 403


@pytest.mark.parametrize(
    ("request_fields", "error", "field"),
    [
        ({"event": "order.paid"}, EventNotTriggered, "event"),
        ({"amount": D("-5.00")}, AmountNotOffered, "amount"),
        ({"amount": D("5.005")}, AmountNotOffered, "amount"),
        ({"currency": "USD"}, OfferRefused, "currency"),
        ({"segment": "platinum"}, SegmentUnknown, "segment"),
        ({"tenor_months": 7}, TenorNotOffered, "tenor_months"),
    ],
)
def test_ineligible_input_is_refused_naming_the_request_field(joined, partner, request_fields, error, field):
    SegmentFactory(code="vip")

    with pytest.raises(error) as caught:
        ask(partner, **request_fields)

    assert caught.value.field == field
    assert caught.value.status_code == 400


def test_a_retired_product_is_no_longer_offered(joined, partner, manager, insurance):
    product_services.product_retire(product=insurance, actor=manager)

    assert [o.product for o in ask(partner)] == ["trip-installment"]


def test_a_bundle_with_every_product_retired_offers_nothing(joined, partner, manager, insurance, installment):
    for product in (insurance, installment):
        product_services.product_retire(product=product, actor=manager)

    with pytest.raises(NothingToOffer):
        ask(partner)


def test_requests_are_counted_per_partner_scenario_and_day(joined, partner):
    with time_machine.travel(datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI), tick=False):
        ask(partner)
        ask(partner, tenor_months=6)
        with pytest.raises(EventNotTriggered):
            ask(partner, event="order.paid")
    with time_machine.travel(datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI), tick=False):
        ask(partner)
    assert not OfferQuoteDaily.objects.exists()  # buffered: no write on the request path

    assert services.offer_quote_counts_flush() == 2
    rows = list(OfferQuoteDaily.objects.order_by("day").values_list("day", "quotes", "offers", "refusals"))
    assert [(str(day), quotes, offers, refusals) for day, quotes, offers, refusals in rows] == [
        ("2026-03-01", 2, 4, 1),
        ("2026-03-02", 1, 2, 0),
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_concurrent_requests_are_all_counted():
    """Requests counted from many threads, drained by many writers at once (as several web
    processes flushing together): every count lands once."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent writers")
    partner = PartnerFactory()
    scenario = ScenarioFactory()
    workers, per_worker = 8, 5
    barrier = threading.Barrier(workers)
    day = timezone.localdate().isoformat()

    def hammer():
        try:
            barrier.wait()
            for _ in range(per_worker):
                services.offer_quote_count(partner=partner, scenario=scenario, offers=2)
                # Each thread also writes a row of its own, as another process's drain would.
                quote_counts.write({(str(partner.pk), str(scenario.pk), day): [1, 2, 0]})
        finally:
            connection.close()

    threads = [threading.Thread(target=hammer) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    services.offer_quote_counts_flush()
    row = OfferQuoteDaily.objects.get()
    assert (row.quotes, row.offers) == (2 * workers * per_worker, 4 * workers * per_worker)


def _bundle(partner, size: int) -> Scenario:
    scenario = ScenarioFactory(code=f"bundle-{size}")
    for position in range(1, size + 1):
        product = ProductFactory(code=f"p{size}-{position}")
        SegmentPriceFactory(product=product, segment=SegmentFactory(code="vip"))
        BundleItemFactory(scenario=scenario, product=product, position=position)
    ParticipationFactory(partner=partner, scenario=scenario)
    return scenario


@pytest.mark.parametrize("size", [2, 12])
def test_a_quote_costs_the_same_queries_however_big_the_bundle(partner, django_assert_num_queries, size):
    scenario = _bundle(partner, size)
    ask(partner, code=scenario.code, segment="vip", tenor_months=12, consent=consent_given())
    selectors.terms_forget()  # as after any change: the next quote reads the terms again

    # scenario, items+products, segment prices, segments; the count is buffered, not written;
    # and the one indexed read of the customer's consent (recorded by the first request)
    with django_assert_num_queries(5):
        offers = ask(partner, code=scenario.code, segment="vip", tenor_months=12, consent=consent_given())
    # … and then keeps the terms: only the consent is read
    with django_assert_num_queries(1):
        again = ask(partner, code=scenario.code, segment="vip", tenor_months=12, consent=consent_given())

    assert len(offers) == len(again) == size


@pytest.mark.parametrize("size", [1, 6])
def test_listing_a_partners_scenarios_costs_two_queries(partner, django_assert_num_queries, size):
    for n in range(size):
        _bundle(partner, n + 2)

    with django_assert_num_queries(2):
        listed = [
            (s.code, s.industry.code, [i.product.code for i in s.items.all()])
            for s in selectors.scenario_list_for_partner(partner=partner)
        ]

    assert len(listed) == size


def test_a_partner_lists_only_scenarios_it_actively_takes_part_in(joined, partner, other_partner, manager):
    other = services.scenario_publish(
        scenario=compose(manager, code="other-bundle", products=[ProductFactory()]), actor=manager
    )
    services.participation_request(partner=partner, scenario=other)  # requested, not active

    assert [s.code for s in selectors.scenario_list_for_partner(partner=partner)] == ["travel-finance"]
    assert list(selectors.scenario_list_for_partner(partner=other_partner)) == []
    with pytest.raises(Scenario.DoesNotExist):
        selectors.scenario_get_for_partner(partner=other_partner, code="travel-finance")
    with pytest.raises(Scenario.DoesNotExist):
        selectors.scenario_get_for_partner(partner=partner, code="other-bundle")


def test_partners_see_only_products_on_sale(joined, partner, manager, insurance):
    product_services.product_retire(product=insurance, actor=manager)

    scenario = selectors.scenario_get_for_partner(partner=partner, code="travel-finance")

    assert [item.product.code for item in scenario.items.all()] == ["trip-installment"]


def test_joinable_scenarios_are_the_latest_open_versions_not_yet_joined(
    published, partner, other_partner, manager
):
    v2 = services.scenario_publish(
        scenario=services.scenario_new_version(scenario=published, actor=manager), actor=manager
    )
    ScenarioFactory(code="reserved", reserved_for=other_partner)

    assert list(selectors.scenarios_joinable_for_partner(partner=partner)) == [v2]
    services.participation_request(partner=partner, scenario=v2)
    assert list(selectors.scenarios_joinable_for_partner(partner=partner)) == []
    assert {s.code for s in selectors.scenarios_joinable_for_partner(partner=other_partner)} == {
        "travel-finance",
        "reserved",
    }


@pytest.mark.django_db(transaction=True)
def test_the_web_process_writes_its_buffered_counts_in_the_background(settings):
    """Embedded default: no request needs to come after a count for it to reach the database;
    the process's background writer drains it when due."""
    import time

    settings.API_ACCESS_LOG_ASYNC = True
    settings.API_METERING_FLUSH_SECONDS = 0
    settings.API_ACCESS_LOG_FLUSH_SECONDS = 0.2
    partner = PartnerFactory()
    scenario = ScenarioFactory()

    services.offer_quote_count(partner=partner, scenario=scenario, offers=3)

    deadline = time.monotonic() + 10
    while not OfferQuoteDaily.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    row = OfferQuoteDaily.objects.get()
    assert (row.partner_id, row.quotes, row.offers) == (partner.pk, 1, 3)
