"""The portal's sandbox page, and the sandbox services behind it: simulated settlement with real
settlement's arithmetic (never stored), reset by managers only, the retention purge."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.secrets import customer_reference
from revenue.models import Agreement, SandboxTransaction, Statement
from revenue.money import line_shares
from revenue.services import (
    sandbox_purge,
    sandbox_reset,
    sandbox_settlement_simulate,
    sandbox_transactions_record,
)
from revenue.tasks import sandbox_purge as sandbox_purge_task
from scenarios.models import Consent, OfferRecord
from tests.factories import StaffFactory
from tests.revenue.factories import item, offer_logged, scenario_with_products

pytestmark = pytest.mark.django_db
DAY = date(2026, 1, 15)


@pytest.fixture
def travel(acme):
    scenario, _products = scenario_with_products()  # published, of acme's industry; never joined
    return scenario


def _consent(partner, *, sandbox: bool, seen: datetime) -> Consent:
    return Consent.objects.create(
        partner=partner,
        sandbox=sandbox,
        consent_id="cns-1",
        customer_ref=customer_reference(partner_id=partner.pk, customer_id="c-1"),
        purposes=["marketing"],
        granted_at=seen,
        first_seen_at=seen,
        last_seen_at=seen,
    )


def _sandbox(acme, *items):
    return sandbox_transactions_record(partner=acme, items=list(items))


def test_a_simulation_uses_real_settlement_arithmetic_and_stores_nothing(acme, travel, settings):
    settings.SANDBOX_DEFAULT_SHARE_PERCENT = "1.5"
    _sandbox(
        acme,
        item(external_id="s1", amount="100.33", day=DAY),
        item(external_id="s2", amount="200.35", day=DAY),
        item(external_id="s3", amount="50.00", product="trip-cover", day=DAY),
        item(external_id="r1", kind="refund", refund_of="s1", amount="10.10", day=DAY),
        item(external_id="late", amount="999.00", day=date(2026, 2, 1)),
    )
    simulation = sandbox_settlement_simulate(
        partner=acme, scenario_code="travel-finance", start=date(2026, 1, 1), end=date(2026, 1, 31)
    )
    assert simulation.agreement is None
    lines = [
        (line.product.code, line.kind, line.transaction_count, line.gross_amount) for line in simulation.lines
    ]
    assert lines == [
        ("trip-cover", "sale", 1, Decimal("50.00")),
        ("trip-installment", "refund", 1, Decimal("-10.10")),
        ("trip-installment", "sale", 2, Decimal("300.68")),
    ]
    expected = line_shares(
        model="percentage",
        terms={"rate": "0.015"},
        lines=[
            ("sale", 1, Decimal("50.00")),
            ("refund", 1, Decimal("-10.10")),
            ("sale", 2, Decimal("300.68")),
        ],
    )
    assert [line.share_amount for line in simulation.lines] == expected
    assert expected == [Decimal("0.75"), Decimal("-0.15"), Decimal("4.51")]  # ROUND_HALF_UP per line
    assert simulation.share_amount == Decimal("5.11")
    assert not Statement.objects.exists()


def test_a_simulation_uses_the_agreement_sent_else_its_draft(acme, travel):
    _sandbox(acme, item(external_id="s1", amount="1000.00", day=DAY))
    base = {
        "partner": acme,
        "scenario": travel,
        "scenario_code": travel.code,
        "currency": "CNY",
        "cycle": "monthly",
        "effective_from": date(2026, 1, 1),
        "created_by": StaffFactory(email="maker@bank.test"),
    }
    Agreement.objects.create(**base, model="percentage", terms={"rate": "0.02"}, status="draft")
    simulate = lambda: sandbox_settlement_simulate(  # noqa: E731
        partner=acme, scenario_code="travel-finance", start=date(2026, 1, 1), end=date(2026, 1, 31)
    )
    assert simulate().share_amount == Decimal("20.00")
    Agreement.objects.create(
        **{**base, "effective_from": date(2026, 2, 1)},
        model="fixed_per_transaction",
        terms={"amount": "3.00"},
        status="sent",
        approved_by=StaffFactory(email="checker@bank.test"),
        terms_sha256="0" * 64,
    )
    sent = simulate()
    assert sent.agreement.status == "sent"
    assert sent.share_amount == Decimal("3.00")


def test_the_reset_deletes_only_the_partners_sandbox_data(acme, other, travel):
    now = timezone.now()
    _sandbox(acme, item(external_id="s1", day=DAY))
    _sandbox(other, item(external_id="s1", day=DAY))
    offer_logged(acme, offer_id="ofr_sbx", quoted_at=now, sandbox=True)
    offer_logged(acme, offer_id="ofr_live", quoted_at=now)
    live, sandboxed = _consent(acme, sandbox=False, seen=now), _consent(acme, sandbox=True, seen=now)
    deleted = sandbox_reset(partner=acme)
    assert deleted == (1, 1, 1)
    assert list(SandboxTransaction.objects.values_list("partner", flat=True)) == [other.pk]
    assert Consent.objects.filter(pk=live.pk).exists()
    assert not Consent.objects.filter(pk=sandboxed.pk).exists()
    assert list(OfferRecord.objects.values_list("offer_id", flat=True)) == ["ofr_live"]


def test_the_purge_deletes_sandbox_data_past_retention_only(acme, travel, settings):
    settings.SANDBOX_RETENTION_DAYS = 30
    now = timezone.now()
    _sandbox(acme, item(external_id="old", day=DAY), item(external_id="new", day=DAY))
    SandboxTransaction.objects.filter(external_id="old").update(received_at=now - timedelta(days=31))
    offer_logged(acme, offer_id="ofr_old", quoted_at=now - timedelta(days=31), sandbox=True)
    offer_logged(acme, offer_id="ofr_live_old", quoted_at=now - timedelta(days=31))
    _consent(acme, sandbox=True, seen=now - timedelta(days=40))
    assert sandbox_purge_task() == {"transactions": 1, "offers": 1, "consents": 1}
    assert list(SandboxTransaction.objects.values_list("external_id", flat=True)) == ["new"]
    assert sandbox_purge() == (0, 0, 0)


# --------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------
def _url(**query) -> str:
    return reverse("portal:sandbox") + ("?" + urlencode(query) if query else "")


def test_the_page_shows_a_simulation_marked_as_such(client, alice, acme, travel):
    _sandbox(acme, item(external_id="s1", amount="100.00", day=DAY))
    client.force_login(alice)
    response = client.get(_url(scenario="travel-finance", date_from="2026-01-01", date_to="2026-01-31"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Simulation — not a real statement" in text
    assert 'data-testid="sim-share"' in text
    assert "1.00" in text  # 1 % of 100.00 by default
    assert not Statement.objects.exists()


def test_the_dashboard_links_the_sandbox(client, alice, acme):
    client.force_login(alice)
    assert reverse("portal:sandbox") in client.get(reverse("portal:dashboard")).content.decode()


def test_bad_periods_are_named(client, alice, acme, travel):
    _sandbox(acme, item(external_id="s1", day=DAY))
    client.force_login(alice)
    response = client.get(_url(scenario="travel-finance", date_from="2026-02-01", date_to="2026-01-01"))
    assert response.status_code == 200
    assert "The start must be on or before the end." in response.content.decode()


def test_managers_reset_with_confirmation_and_others_may_not(client, alice, bob, acme, travel):
    _sandbox(acme, item(external_id="s1", day=DAY))
    client.force_login(bob)  # a developer
    assert client.post(_url(), {"confirm": "RESET"}).status_code == 403
    client.force_login(alice)
    refused = client.post(_url(), {"confirm": "reset"})
    assert refused.status_code == 200
    assert "Type RESET, in capitals, to confirm." in refused.content.decode()
    assert SandboxTransaction.objects.exists()
    done = client.post(_url(), {"confirm": "RESET"})
    assert done.status_code == 302
    assert not SandboxTransaction.objects.exists()


def test_the_page_costs_the_same_queries_whatever_the_sandbox_holds(
    client, alice, acme, travel, django_assert_num_queries
):
    client.force_login(alice)
    url = _url(scenario="travel-finance", date_from="2026-01-01", date_to="2026-01-31")
    _sandbox(
        acme,
        item(external_id="s1", day=DAY),
        item(external_id="r0", kind="refund", refund_of="s1", amount="1.00", day=DAY),
    )
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _sandbox(
        acme,
        *[item(external_id=f"m{i}", day=DAY) for i in range(5)],
        item(external_id="c1", product="trip-cover", day=DAY),
        item(external_id="r1", kind="refund", refund_of="m1", amount="1.00", day=DAY),
    )
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_simulation_reads_no_live_row(acme, travel):
    _sandbox(acme, item(external_id="s1", amount="10.00", day=DAY))
    simulation = sandbox_settlement_simulate(partner=acme, scenario_code="travel-finance", start=DAY, end=DAY)
    assert simulation.transaction_count == 1
