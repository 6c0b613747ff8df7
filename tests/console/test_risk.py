"""Each risk rule fires on its case and stays quiet on a normal one; a rerun never duplicates a
signal; the staff workflow acknowledges, escalates (suspending the partner through the
lifecycle service) and dismisses with a reason."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from console.models import RiskSignal, RiskSignalChange, TransactionDaily
from console.services.risk import (
    risk_scan,
    risk_signal_acknowledge,
    risk_signal_dismiss,
    risk_signal_escalate,
)
from core.domain import DomainError, NotAllowed
from partners.models import PartnerStatusChange
from tests.console.factories import ledger_row, shanghai
from tests.factories import PartnerFactory, StaffFactory
from tests.products.factories import ProductFactory
from tests.revenue.factories import join, scenario_with_products

DAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 6, 15, 23, 0, tzinfo=shanghai(DAY).tzinfo)):
        yield


@pytest.fixture
def bundle(db):
    scenario, products = scenario_with_products()
    return scenario, products


@pytest.fixture
def skyway(bundle):
    partner = PartnerFactory(slug="skyway")
    join(partner, bundle[0])
    return partner


@pytest.fixture
def oasis(bundle):
    partner = PartnerFactory(slug="oasis")
    join(partner, bundle[0])
    return partner


def sell(partner, bundle, n=1, *, hour=12, amount="100.00", kind="sale", customer="", product=None, day=DAY):
    scenario, products = bundle
    for i in range(n):
        ledger_row(
            partner,
            scenario,
            product or products[0],
            when=shanghai(day, hour, i % 60),
            amount=amount,
            kind=kind,
            customer=customer,
        )


def signals(rule):
    return {(s.partner.slug, s.subject, s.severity) for s in RiskSignal.objects.filter(rule=rule)}


def baseline(partner, bundle, per_day: int):
    scenario, products = bundle
    TransactionDaily.objects.bulk_create(
        TransactionDaily(
            day=DAY - timedelta(days=d),
            partner=partner,
            scenario_code=scenario.code,
            product=products[0],
            kind="sale",
            count=per_day,
            amount=100 * per_day,
        )
        for d in range(1, 29)
    )


def test_a_velocity_spike_fires_against_the_partners_own_baseline(skyway, oasis, bundle):
    baseline(skyway, bundle, 2)  # 25 today against 2 a day
    baseline(oasis, bundle, 10)  # 25 today against 10 a day: under 3x
    sell(skyway, bundle, 25)
    sell(oasis, bundle, 25)
    risk_scan(day=DAY)
    assert signals("velocity") == {("skyway", "all", "high")}
    evidence = RiskSignal.objects.get(rule="velocity").evidence
    assert (evidence["transactions"], evidence["baseline_daily_average"]) == (25, "2.00")


def test_a_small_day_is_no_spike_even_without_history(skyway, bundle):
    sell(skyway, bundle, 19)
    risk_scan(day=DAY)
    assert signals("velocity") == set()


def test_repeated_amounts_for_one_customer_fire(skyway, bundle):
    sell(skyway, bundle, 3, amount="99.00", customer="c1")
    sell(skyway, bundle, 2, amount="99.00", customer="c2")  # twice: normal
    sell(skyway, bundle, 3, amount="99.00")  # no customer reference: not comparable
    risk_scan(day=DAY)
    assert signals("repeated_amount") == {("skyway", "ref-c1:99.00", "medium")}


def test_refunds_above_the_ratio_fire(skyway, oasis, bundle):
    sell(skyway, bundle, 5)
    sell(skyway, bundle, 2, kind="refund")  # 200 of 500: 0.4
    sell(oasis, bundle, 5)
    sell(oasis, bundle, 1, kind="refund")  # 100 of 500: 0.2
    risk_scan(day=DAY)
    assert signals("refund_ratio") == {("skyway", "all", "medium")}
    assert RiskSignal.objects.get(rule="refund_ratio").evidence["ratio"] == "0.4000"


def test_transactions_outside_the_scenarios_product_range_fire(skyway, oasis, bundle):
    stranger = ProductFactory(code="stranger-loan")
    sell(skyway, bundle, 1, product=stranger)  # not in the bundle
    sell(oasis, bundle, 1, amount="999999.00")  # above the product's maximum amount
    sell(oasis, bundle, 3)  # normal
    risk_scan(day=DAY)
    assert signals("out_of_range") == {
        ("skyway", "travel-finance/stranger-loan", "high"),
        ("oasis", "travel-finance/trip-installment", "high"),
    }


def test_an_out_of_hours_burst_fires(skyway, oasis, bundle):
    sell(skyway, bundle, 10, hour=2)
    sell(oasis, bundle, 9, hour=2)  # under the minimum
    sell(oasis, bundle, 30, hour=14)  # day time
    risk_scan(day=DAY)
    assert signals("out_of_hours") == {("skyway", "00:00-06:00", "medium")}


def test_a_normal_day_raises_nothing(skyway, bundle):
    baseline(skyway, bundle, 10)
    sell(skyway, bundle, 8, customer="")
    sell(skyway, bundle, 1, kind="refund")
    assert risk_scan(day=DAY).found == 0
    assert not RiskSignal.objects.exists()


def test_a_rerun_does_not_duplicate_signals(skyway, bundle):
    sell(skyway, bundle, 10, hour=2)
    first = risk_scan(day=DAY)
    second = risk_scan(day=DAY)
    assert (first.created, second.found, second.created) == (1, 1, 0)
    assert RiskSignal.objects.count() == 1


@pytest.fixture
def signal(skyway, bundle):
    sell(skyway, bundle, 10, hour=2)
    risk_scan(day=DAY)
    return RiskSignal.objects.get()


def test_staff_acknowledge_then_dismiss_with_a_reason(signal, staff):
    risk_signal_acknowledge(signal=signal, actor=staff)
    with pytest.raises(DomainError):
        risk_signal_dismiss(signal=signal, actor=staff, reason=" ")
    signal = risk_signal_dismiss(signal=signal, actor=staff, reason="night shift of a 24h agency")
    assert (signal.status, signal.decided_by, signal.reason) == (
        "dismissed",
        staff,
        "night shift of a 24h agency",
    )
    assert list(RiskSignalChange.objects.order_by("id").values_list("to_status", flat=True)) == [
        "acknowledged",
        "dismissed",
    ]
    with pytest.raises(DomainError):
        risk_signal_acknowledge(signal=signal, actor=staff)


def test_escalating_suspends_the_partner_through_the_lifecycle(signal, staff, skyway):
    risk_signal_escalate(signal=signal, actor=staff, reason="burst of night sales")
    skyway.refresh_from_db()
    assert skyway.status == "suspended"
    change = PartnerStatusChange.objects.get(partner=skyway)
    assert (change.to_status, change.changed_by) == ("suspended", staff)
    assert "burst of night sales" in change.reason
    signal.refresh_from_db()
    assert signal.status == "escalated"


def test_escalation_is_all_or_nothing(signal, staff, skyway):
    skyway.status = "terminated"
    skyway.save()
    with pytest.raises(DomainError):
        risk_signal_escalate(signal=signal, actor=staff, reason="too late")
    signal.refresh_from_db()
    assert signal.status == "open"
    assert not RiskSignalChange.objects.exists()


def test_staff_without_the_permission_cannot_decide(signal):
    with pytest.raises(NotAllowed):
        risk_signal_acknowledge(signal=signal, actor=StaffFactory(email="intern@bank.example"))


def test_the_risk_page_lists_and_decides(staff_client, signal, skyway):
    response = staff_client.get("/staff/risk/")
    assert [s.pk for s in response.context["signals"]] == [signal.pk]
    staff_client.post(f"/staff/risk/{signal.pk}/escalate/", {"reason": "confirmed with the RM"})
    skyway.refresh_from_db()
    assert skyway.status == "suspended"
    assert list(staff_client.get("/staff/risk/").context["signals"]) == []
    assert [s.pk for s in staff_client.get("/staff/risk/", {"status": "escalated"}).context["signals"]] == [
        signal.pk
    ]


def test_the_scan_runs_on_demand_from_the_page(staff_client, skyway, bundle):
    sell(skyway, bundle, 10, hour=2)
    response = staff_client.post("/staff/risk/scan/", follow=True)
    assert "1 new" in response.content.decode()
    assert RiskSignal.objects.filter(rule="out_of_hours").count() == 1


def test_partner_users_cannot_see_or_decide_signals(client, alice, signal):
    client.force_login(alice)
    assert client.get("/staff/risk/").status_code == 403
    assert client.post(f"/staff/risk/{signal.pk}/dismiss/", {"reason": "x"}).status_code == 403
    signal.refresh_from_db()
    assert signal.status == "open"


def test_the_risk_page_costs_the_same_queries_at_two_sizes(
    staff_client, signal, skyway, bundle, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        staff_client.get("/staff/risk/")
    for n in range(5):
        other = PartnerFactory(slug=f"night-{n}")
        sell(other, bundle, 10, hour=3)
    risk_scan(day=DAY)
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = staff_client.get("/staff/risk/")
    assert len(response.context["signals"]) == 6


def test_the_scheduled_tasks_rebuild_and_scan(skyway, bundle, settings):
    from console import tasks

    sell(skyway, bundle, 10, hour=2)
    assert tasks.console_rollup_recent.delay().get() == "3 days, 1 rows"
    assert tasks.risk_scan.delay().get() == "2026-06-14: 0 new of 0, 2026-06-15: 1 new of 1"
    assert tasks.risk_scan.delay().get() == "2026-06-14: 0 new of 0, 2026-06-15: 0 new of 1"
    settings.CONSOLE_ROLLUP_NIGHTLY_DAYS = 30
    assert tasks.console_rollup_nightly.delay().get() == "30 days, 1 rows"
    assert RiskSignal.objects.count() == 1


def test_signals_are_read_only_in_the_admin(client, signal):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="root@bank.example", is_staff=True, is_superuser=True))
    assert client.get("/admin/console/risksignal/").context["cl"].result_count == 1
    assert client.get("/admin/console/risksignal/add/").status_code == 403
    rows = (
        client.get("/staff/audit/", {"q": str(signal.pk), "source": "console.risksignalchange"})
        .context["page"]
        .rows
    )
    assert rows == []  # nothing decided yet


@pytest.fixture
def refund_spike(skyway, bundle):
    sell(skyway, bundle, 5, amount="1234.56")
    sell(skyway, bundle, 2, amount="1234.56", kind="refund")  # 2,469.12 of 6,172.80: 40 %
    risk_scan(day=DAY)
    return RiskSignal.objects.get(rule="refund_ratio")


def _evidence(page: str, signal) -> str:
    table = page.split('<table class="evidence">')[1]
    return table.split("</table>")[0]


def test_the_evidence_is_a_table_of_labelled_money_rates_and_counts(staff_client, refund_spike):
    page = staff_client.get("/staff/risk/").content.decode()

    evidence = _evidence(page, refund_spike)
    assert '<th scope="row">Sales</th><td>5</td>' in evidence
    assert '<th scope="row">Sold</th><td>6,172.80\xa0CNY</td>' in evidence
    assert '<th scope="row">Refunded</th><td>2,469.12\xa0CNY</td>' in evidence
    assert '<th scope="row">Refunded of sold</th><td>40.00\xa0%</td>' in evidence
    assert '<th scope="row">Threshold</th><td>30.00\xa0%</td>' in evidence
    assert "0.4000" not in page
    assert "sold:" not in page


def test_the_evidence_speaks_the_users_language(staff_client, refund_spike):
    staff_client.cookies["django_language"] = "zh-hans"

    evidence = _evidence(staff_client.get("/staff/risk/").content.decode(), refund_spike)

    assert '<th scope="row">退款占销售额</th><td>40.00\xa0%</td>' in evidence
    assert "Refunded of sold" not in evidence


def test_the_evidence_names_the_product_not_its_code(staff_client, skyway, bundle):
    stranger = ProductFactory(code="stranger-loan", name="Stranger Loan")
    sell(skyway, bundle, 1, product=stranger, amount="99.90")
    risk_scan(day=DAY)

    evidence = _evidence(staff_client.get("/staff/risk/").content.decode(), None)

    assert '<th scope="row">Product</th><td>Stranger Loan</td>' in evidence
    assert '<th scope="row">Amount</th><td>99.90\xa0CNY</td>' in evidence


def test_the_admin_shows_the_evidence_table(client, refund_spike):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="root@bank.example", is_staff=True, is_superuser=True))

    page = client.get(f"/admin/console/risksignal/{refund_spike.pk}/change/").content.decode()

    assert '<th scope="row">Refunded of sold</th><td>40.00\xa0%</td>' in page
