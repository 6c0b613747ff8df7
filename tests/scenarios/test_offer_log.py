"""The offer log: every answered offer recorded with what was shown, buffered off the request
path, written in batches and at a clean exit; partitioned by month on PostgreSQL with retention
by dropping whole partitions."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal as D
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from core.secrets import customer_reference
from scenarios import selectors, services
from scenarios.exceptions import EventNotTriggered
from scenarios.models import OfferQuoteDaily, OfferRecord
from scenarios.services.offer_log import amount_band, offer_log, offer_log_partitions, partition_name
from tests.products.factories import SegmentFactory, SegmentPriceFactory
from tests.scenarios.conftest import consent_given

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]


def ask(partner, **kw):
    kw.setdefault("scenario_code", "travel-finance")
    kw.setdefault("event", "booking.created")
    kw.setdefault("amount", D("10000.00"))
    return services.offer_quote(partner=partner, **kw)


def test_each_offer_gets_its_own_unguessable_id_and_the_validity_window(joined, partner, settings):
    settings.OFFER_VALIDITY_MINUTES = 45
    at = datetime(2026, 3, 1, 10, 0, 0, tzinfo=SHANGHAI)
    with time_machine.travel(at, tick=False):
        first, second = ask(partner), ask(partner)

    ids = [q.offer_id for q in (*first.offers, *second.offers)]
    assert len(set(ids)) == 4
    for offer_id in ids:
        assert offer_id.startswith("ofr_")
        assert len(offer_id) >= 16
        assert offer_id[4:].replace("-", "").replace("_", "").isalnum()
    assert first.request_id != second.request_id
    assert first.quoted_at == at
    assert first.expires_at == at + timedelta(minutes=45)


def test_the_answer_has_the_contract_shape(joined, partner):
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, 0, tzinfo=SHANGHAI), tick=False):
        body = services.offer_quote_as_dict(ask(partner, tenor_months=6))

    assert list(body) == ["request_id", "offers"]
    first = body["offers"][0]
    assert list(first)[:5] == ["offer_id", "expires_at", "product", "category", "price"]
    assert first["expires_at"] == "2026-03-01T10:30:00+08:00"
    assert len(first["schedule"]) == 6


def test_every_answered_offer_is_recorded_after_the_flush_with_what_was_shown(joined, partner):
    product = joined.scenario.items.get(position=1).product
    SegmentPriceFactory(product=product, segment=SegmentFactory(code="vip"))
    at = datetime(2026, 3, 1, 10, 0, 0, tzinfo=SHANGHAI)
    with time_machine.travel(at, tick=False):
        answer = ask(
            partner,
            segment="vip",
            tenor_months=12,
            customer_id="cust-42",
            consent=consent_given("cns-42"),
            key_prefix="fnk_abc123",
        )
    assert not OfferRecord.objects.exists()  # buffered: nothing written on the request path

    assert services.offer_log_flush() == 2

    installment = OfferRecord.objects.get(offer_id=answer.offers[0].offer_id)
    offer = answer.offers[0].offer
    assert installment.quoted_at == at
    assert installment.expires_at == at + timedelta(minutes=30)
    assert installment.request_id == answer.request_id
    assert installment.partner_id == partner.pk
    assert installment.key_prefix == "fnk_abc123"
    assert (installment.channel, installment.tryout) == ("api", False)
    assert installment.scenario_id == joined.scenario_id
    assert installment.event == "booking.created"
    assert (installment.product_code, installment.category) == (offer.product, offer.category)
    assert installment.segment == "vip"
    assert (installment.amount, installment.currency, installment.amount_band) == (
        D("10000.00"),
        "CNY",
        "5k-20k",
    )
    assert installment.tenor_months == 12
    assert installment.annual_rate == offer.price.annual_rate
    assert installment.apr == offer.price.apr
    assert installment.price == services.offer_quote_as_dict(answer)["offers"][0]["price"]
    # The customer id is stored only as the partner's keyed hash, the ledger's own reference.
    assert installment.customer_ref == customer_reference(partner_id=partner.pk, customer_id="cust-42")
    assert "cust-42" not in installment.customer_ref
    assert installment.consent_id == "cns-42"
    assert len(installment.customer_ref) == 64
    cover = OfferRecord.objects.get(offer_id=answer.offers[1].offer_id)
    assert cover.request_id == answer.request_id
    assert cover.tenor_months is None


def test_the_same_customer_of_two_partners_gets_two_unrelated_references(joined, partner, other_partner):
    ours = customer_reference(partner_id=partner.pk, customer_id="cust-42")
    theirs = customer_reference(partner_id=other_partner.pk, customer_id="cust-42")
    assert ours != theirs
    assert customer_reference(partner_id=partner.pk, customer_id="") == ""


def test_an_offer_is_found_by_id_only_by_its_own_partner_and_never_as_a_try_out(
    joined, partner, other_partner
):
    at = datetime(2026, 3, 1, 10, 0, 0, tzinfo=SHANGHAI)
    with time_machine.travel(at, tick=False):
        real = ask(partner).offers[0].offer_id
        tryout = ask(partner, channel=OfferRecord.Channel.PORTAL).offers[0].offer_id
    services.offer_log_flush()

    def found(who, offer_id, quoted_from=at - timedelta(days=30), quoted_until=at):
        # The attribution read: the partner's real offers among the ids, quoted in the window.
        return selectors.offer_records_for_partner(
            partner_id=who.pk, offer_ids=[offer_id], quoted_from=quoted_from, quoted_until=quoted_until
        ).get(offer_id)

    assert found(partner, real).quoted_at == at
    assert found(partner, real, quoted_from=at) is not None
    assert found(partner, real, quoted_from=at + timedelta(1), quoted_until=at + timedelta(2)) is None
    assert found(other_partner, real) is None
    assert found(partner, tryout) is None
    assert found(partner, "ofr_unknown") is None


def test_a_refused_request_records_no_offer(joined, partner):
    with pytest.raises(EventNotTriggered):
        ask(partner, event="order.paid")
    assert services.offer_log_flush() == 0
    assert not OfferRecord.objects.exists()


def test_a_portal_try_out_is_recorded_as_a_try_out_and_not_counted(joined, partner):
    ask(partner, channel=OfferRecord.Channel.PORTAL)
    with pytest.raises(EventNotTriggered):
        ask(partner, channel=OfferRecord.Channel.PORTAL, event="order.paid")
    services.offer_log_flush()
    services.offer_quote_counts_flush()

    assert set(OfferRecord.objects.values_list("channel", "tryout")) == {("portal", True)}
    assert not OfferQuoteDaily.objects.exists()  # neither the quote nor the refusal


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        ("0.01", "<1k"),
        ("999.99", "<1k"),
        ("1000.00", "1k-5k"),
        ("19999.99", "5k-20k"),
        ("100000.00", "100k+"),
    ],
)
def test_amounts_fall_into_bands_by_their_lower_bound(amount, band):
    assert amount_band(D(amount)) == band


def test_a_failed_write_keeps_the_rows_for_the_next_flush(joined, partner, monkeypatch):
    ask(partner)
    real = offer_log.write

    def refuse(rows):
        raise RuntimeError("database down")

    monkeypatch.setattr(offer_log, "write", refuse)
    assert services.offer_log_flush() == 0
    monkeypatch.setattr(offer_log, "write", real)

    assert services.offer_log_flush() == 2
    assert OfferRecord.objects.count() == 2


def test_a_full_batch_is_written_without_waiting(joined, partner, settings):
    """Tests write inline (``API_ACCESS_LOG_ASYNC`` off): a batch that fills is stored at once."""
    settings.OFFER_LOG_BATCH = 4
    settings.API_ACCESS_LOG_FLUSH_SECONDS = 3600
    ask(partner)
    assert not OfferRecord.objects.exists()
    ask(partner)
    assert OfferRecord.objects.count() == 4


@pytest.mark.parametrize("size", [2, 12])
def test_recording_adds_no_query_to_a_quote(joined, partner, django_assert_num_queries, settings, size):
    settings.OFFER_LOG_BATCH = 10_000
    settings.API_ACCESS_LOG_FLUSH_SECONDS = 3600
    ask(partner, customer_id="cust-1", consent=consent_given())
    # The version's terms are cached by the first quote, and recording adds no query either:
    # only the one indexed read of the customer's consent (recorded by the first request).
    with django_assert_num_queries(1):
        ask(partner, customer_id="cust-1", consent=consent_given())


def test_retention_deletes_old_rows_on_sqlite(joined, partner, settings):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL drops partitions (test below)")
    settings.OFFER_LOG_RETENTION_DAYS = 30
    now = datetime(2026, 6, 15, 12, 0, tzinfo=SHANGHAI)
    for days in (40, 31, 29, 0):
        with time_machine.travel(now - timedelta(days=days), tick=False):
            ask(partner)
    services.offer_log_flush()

    result = services.offer_log_maintain(now=now)

    assert (result.created, result.dropped, result.deleted) == ([], [], 4)
    assert OfferRecord.objects.filter(quoted_at__lt=now - timedelta(days=30)).count() == 0
    assert OfferRecord.objects.count() == 4


@pytest.mark.postgres
def test_rows_land_in_their_months_partition_and_retention_drops_whole_old_months(joined, partner, settings):
    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    settings.OFFER_LOG_RETENTION_DAYS = 60
    settings.OFFER_LOG_PARTITIONS_AHEAD = 3
    # Late on the last day of January in Shanghai is still January (16:30 UTC).
    for moment in (
        datetime(2026, 1, 31, 23, 30, tzinfo=SHANGHAI),
        datetime(2026, 2, 1, 0, 30, tzinfo=SHANGHAI),
        datetime(2026, 4, 20, 9, 0, tzinfo=SHANGHAI),
    ):
        with time_machine.travel(moment, tick=False):
            ask(partner)
    # The months had no partitions yet: the write creates them and stores the batch.
    assert services.offer_log_flush() == 6
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, count(*) FROM scenarios_offer_log GROUP BY 1 ORDER BY 1"
        )
        assert cursor.fetchall() == [
            ("scenarios_offer_log_p202601", 2),
            ("scenarios_offer_log_p202602", 2),
            ("scenarios_offer_log_p202604", 2),
        ]

    # On 2 April with 60 days kept the cutoff is 1 February: January goes whole, February stays.
    result = services.offer_log_maintain(now=datetime(2026, 4, 2, 12, 0, tzinfo=SHANGHAI))

    assert result.dropped == ["scenarios_offer_log_p202601"]
    assert result.deleted == 0
    # April, May and June ahead; April had one already.
    assert result.created == ["scenarios_offer_log_p202605", "scenarios_offer_log_p202606"]
    assert sorted(offer_log_partitions()) == [
        partition_name(datetime(2026, m, 1).date()) for m in (2, 4, 5, 6)
    ]
    assert OfferRecord.objects.count() == 4
    assert OfferRecord.objects.filter(quoted_at__lt=datetime(2026, 2, 1, tzinfo=SHANGHAI)).count() == 0


def test_the_maintenance_command_prints_a_summary(db, capsys):
    from django.core.management import call_command

    call_command("offer_log_maintain")
    assert capsys.readouterr().out.startswith("offer log: ")


def test_rows_waiting_at_a_clean_exit_are_written(tmp_path):
    """A web process that stops cleanly writes what its buffer holds (atexit), with no flush
    interval passed and no batch filled."""
    database = tmp_path / "exit.sqlite3"
    script = """
import django, sys
django.setup()
from datetime import datetime, UTC
from decimal import Decimal
from django.db import connection
from scenarios.models import OfferCustomerDaily, OfferFunnelDaily, OfferRecord
from scenarios.services.offer_log import offer_log
with connection.schema_editor() as editor:
    for model in (OfferRecord, OfferFunnelDaily, OfferCustomerDaily):
        editor.create_model(model)
now = datetime.now(UTC)
offer_log.add((
    "ofr_exit_0123456789abcdef", now, now, "req_exit", 1, "fnk_x", "api", False, 1, "booking.created",
    "p", "installment", "", Decimal("10.00"), "CNY", "<1k", None, None, None, {}, None, "", "", False,
))
sys.exit(0)
"""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "API_ACCESS_LOG_ASYNC": "true",
        "API_ACCESS_LOG_FLUSH_SECONDS": "3600",
        "OFFER_LOG_BATCH": "1000",
        "DEBUG": "false",
    }
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=120)

    with sqlite3.connect(database) as db:
        # The funnel's roll-up counted it in the same write.
        assert db.execute("SELECT offers FROM scenarios_offerfunneldaily").fetchall() == [(1,)]
        assert db.execute("SELECT offer_id, request_id FROM scenarios_offer_log").fetchall() == [
            ("ofr_exit_0123456789abcdef", "req_exit")
        ]
