"""Attribution: a sale names the offer it came from (``offer_id``): the partner's own real
offer of the same product, quoted at most ``OFFER_ATTRIBUTION_DAYS`` before ``occurred_at`` and
not after it (beyond the clock skew). Checked in one read of the offer log per batch; a refund
carries its sale's offer."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revenue.exceptions import TransactionConflict, TransactionInvalid
from revenue.models import Transaction
from revenue.services import ledger
from revenue.services.ledger import content_hash, offers_named
from scenarios.models import OfferRecord

from .factories import at, item, offer_logged, record

pytestmark = pytest.mark.django_db

SOLD = at(date(2026, 3, 20))  # noon, Asia/Shanghai
OFFER = "ofr_4mB0x9TqLr2VbZ7nWc1sEA"


def refused(partner, *items) -> TransactionInvalid:
    with pytest.raises(TransactionInvalid) as caught:
        record(partner, *items)
    assert not Transaction.objects.exists()  # all or nothing
    return caught.value


def test_a_sale_naming_its_offer_stores_the_offer_and_its_quote_time(partner, agreement):
    quoted = SOLD - timedelta(days=3, minutes=7)
    offer_logged(partner, offer_id=OFFER, quoted_at=quoted)

    record(partner, item(external_id="s-1", occurred_at=SOLD, offer_id=OFFER), item(external_id="s-2"))

    attributed = Transaction.objects.get(external_id="s-1")
    assert (attributed.offer_id, attributed.offer_quoted_at) == (OFFER, quoted)
    plain = Transaction.objects.get(external_id="s-2")
    assert (plain.offer_id, plain.offer_quoted_at) == ("", None)


REFUSALS = {
    "unknown": lambda partner, other: None,
    "another partner's": lambda partner, other: offer_logged(
        other, offer_id=OFFER, quoted_at=SOLD - timedelta(days=1)
    ),
    "a try-out": lambda partner, other: offer_logged(
        partner, offer_id=OFFER, quoted_at=SOLD - timedelta(days=1), tryout=True
    ),
    "too old": lambda partner, other: offer_logged(
        partner, offer_id=OFFER, quoted_at=SOLD - timedelta(days=30, seconds=1)
    ),
    "quoted after the sale": lambda partner, other: offer_logged(
        partner, offer_id=OFFER, quoted_at=SOLD + timedelta(minutes=10, seconds=1)
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_an_offer_that_is_not_the_partners_own_in_the_window_is_refused_as_unknown(
    partner, other_partner, agreement, case
):
    REFUSALS[case](partner, other_partner)

    error = refused(partner, item(occurred_at=SOLD), item(occurred_at=SOLD, offer_id=OFFER))

    assert error.field == "transactions.1.offer_id"
    assert error.message == f"No offer “{OFFER}” was quoted to you in the 30 days up to this transaction."


def test_an_offer_of_another_product_is_refused_naming_it(partner, agreement):
    offer_logged(partner, offer_id=OFFER, product="trip-cover", quoted_at=SOLD - timedelta(days=1))

    error = refused(partner, item(occurred_at=SOLD, offer_id=OFFER))

    assert error.field == "transactions.0.offer_id"
    assert error.message == f"The offer “{OFFER}” was for another product (trip-cover)."


def test_an_offer_quoted_within_the_clock_skew_after_the_sale_is_taken(partner, agreement, settings):
    settings.REVENUE_CLOCK_SKEW = timedelta(minutes=5)
    offer_logged(partner, offer_id=OFFER, quoted_at=SOLD + timedelta(minutes=5))
    offer_logged(partner, offer_id="ofr_later", quoted_at=SOLD + timedelta(minutes=5, seconds=1))

    record(partner, item(external_id="s-1", occurred_at=SOLD, offer_id=OFFER))
    with pytest.raises(TransactionInvalid) as caught:
        record(partner, item(occurred_at=SOLD, offer_id="ofr_later"))

    assert Transaction.objects.get().offer_id == OFFER
    assert caught.value.field == "transactions.0.offer_id"


def test_the_window_follows_the_setting(partner, agreement, settings):
    settings.OFFER_ATTRIBUTION_DAYS = 7
    offer_logged(partner, offer_id=OFFER, quoted_at=SOLD - timedelta(days=8))

    error = refused(partner, item(occurred_at=SOLD, offer_id=OFFER))

    assert error.message == f"No offer “{OFFER}” was quoted to you in the 7 days up to this transaction."


def test_one_offer_can_be_taken_more_than_once(partner, agreement):
    offer_logged(partner, offer_id=OFFER, quoted_at=SOLD - timedelta(hours=1))

    record(
        partner,
        item(external_id="s-1", occurred_at=SOLD, offer_id=OFFER, amount="100.00"),
        item(
            external_id="r-1",
            kind="refund",
            occurred_at=SOLD + timedelta(hours=1),
            refund_of="s-1",
            amount="100.00",
        ),
        item(external_id="s-2", occurred_at=SOLD + timedelta(hours=2), offer_id=OFFER, amount="90.00"),
    )

    assert sorted(Transaction.objects.filter(offer_id=OFFER).values_list("external_id", flat=True)) == [
        "r-1",
        "s-1",
        "s-2",
    ]


def test_a_refund_carries_its_sales_offer_whether_the_sale_is_stored_or_in_the_batch(partner, agreement):
    quoted = SOLD - timedelta(days=2)
    offer_logged(partner, offer_id=OFFER, quoted_at=quoted)
    record(partner, item(external_id="s-1", occurred_at=SOLD, offer_id=OFFER, amount="100.00"))

    # Refunds may come long after the attribution window: they take the sale's offer as it is.
    late = SOLD + timedelta(days=45)
    record(
        partner,
        item(external_id="r-1", kind="refund", occurred_at=late, refund_of="s-1", amount="10.00"),
        item(
            external_id="r-2",
            kind="refund",
            occurred_at=late,
            refund_of="s-1",
            amount="10.00",
            offer_id=OFFER,
        ),
        item(external_id="s-2", occurred_at=SOLD, offer_id=OFFER, amount="50.00"),
        item(external_id="r-3", kind="refund", occurred_at=late, refund_of="s-2", amount="5.00"),
        item(external_id="s-3", occurred_at=SOLD, amount="50.00"),
        item(external_id="r-4", kind="refund", occurred_at=late, refund_of="s-3", amount="5.00"),
    )

    carried = dict(Transaction.objects.filter(kind="refund").values_list("external_id", "offer_id"))
    assert carried == {"r-1": OFFER, "r-2": OFFER, "r-3": OFFER, "r-4": ""}
    assert set(Transaction.objects.filter(offer_id=OFFER).values_list("offer_quoted_at", flat=True)) == {
        quoted
    }


@pytest.mark.parametrize("sale_offer", [OFFER, None], ids=["another offer", "a sale without one"])
def test_a_refund_naming_another_offer_than_its_sales_is_refused(partner, agreement, sale_offer):
    offer_logged(partner, offer_id=OFFER, quoted_at=SOLD - timedelta(days=2))
    offer_logged(partner, offer_id="ofr_other", quoted_at=SOLD - timedelta(days=2))
    record(partner, item(external_id="s-1", occurred_at=SOLD, offer_id=sale_offer))

    with pytest.raises(TransactionInvalid) as caught:
        record(
            partner,
            item(external_id="s-2", occurred_at=SOLD),
            item(kind="refund", occurred_at=SOLD, refund_of="s-1", amount="1.00", offer_id="ofr_other"),
        )

    assert caught.value.field == "transactions.1.offer_id"
    assert "ofr_other" in caught.value.message
    assert Transaction.objects.count() == 1


def test_rows_without_an_offer_hash_exactly_as_before_attribution():
    sale = {
        "scenario": "travel-finance",
        "product": "trip-installment",
        "kind": "sale",
        "amount": Decimal("1234.50"),
        "currency": "CNY",
        "occurred_at": at(date(2026, 1, 15), 10),
    }
    refund = {**sale, "kind": "refund", "amount": Decimal("10.00"), "refund_of": "order-1"}

    # The hashes stored before offers could be named (computed by the code of that time).
    assert content_hash(sale, "ref") == "c0eea2432ea3aeeaa87fa2c4856caed319baefa9dbfe05c163204552c0788b29"
    assert content_hash(refund, "ref") == "f56784e3feb638d066e129138680289d96ba3dad1d8191d94eb760ad3c4c7fec"
    assert content_hash({**sale, "offer_id": OFFER}, "ref") != content_hash(sale, "ref")
    # A refund's offer is its sale's, named or not: the same stored row, the same hash.
    assert content_hash({**refund, "offer_id": OFFER}, "ref") == content_hash(refund, "ref")


def test_a_replay_of_an_attributed_batch_is_a_duplicate_and_naming_an_offer_later_a_conflict(
    partner, agreement
):
    offer_logged(partner, offer_id=OFFER, quoted_at=SOLD - timedelta(days=1))
    batch = [
        item(external_id="s-1", occurred_at=SOLD, offer_id=OFFER, amount="100.00"),
        item(external_id="r-1", kind="refund", occurred_at=SOLD, refund_of="s-1", amount="1.00"),
        item(external_id="s-2", occurred_at=SOLD),
    ]
    record(partner, *batch)

    again = record(partner, *batch, item(external_id="r-1", kind="refund", occurred_at=SOLD, refund_of="s-1",
                                        amount="1.00", offer_id=OFFER))  # fmt: skip

    assert (again.created, again.duplicates) == (0, 4)
    with pytest.raises(TransactionConflict):
        record(partner, {**batch[2], "offer_id": OFFER})
    assert Transaction.objects.count() == 3


def test_the_offers_of_a_batch_are_read_in_one_query(partner, agreement, django_assert_num_queries):
    for n in range(40):
        offer_logged(partner, offer_id=f"ofr_{n:03d}", quoted_at=SOLD - timedelta(days=n % 29))

    def queries(items) -> int:
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            record(partner, *items)
            transaction.set_rollback(True)
        return len(captured)

    one = queries([item(occurred_at=SOLD, offer_id="ofr_000")])
    forty = queries(
        [item(occurred_at=SOLD + timedelta(minutes=n), offer_id=f"ofr_{n:03d}") for n in range(40)]
    )
    none = queries([item(occurred_at=SOLD)])

    # the batch's offers in one read, and the reward grant's reads (the offers' rewards, their
    # campaigns) whatever the batch's size
    assert one == forty
    assert none < one <= none + 4


@pytest.mark.postgres
def test_the_offer_read_scans_only_the_partitions_of_the_window(partner, agreement):
    if connection.vendor != "postgresql":
        pytest.skip("the offer log is partitioned on PostgreSQL only")
    for month in range(1, 10):
        offer_logged(partner, offer_id=f"ofr_m{month}", quoted_at=at(date(2026, month, 10)))

    with CaptureQueriesContext(connection) as captured:
        found = offers_named(partner_id=partner.pk, claims=[("ofr_m3", SOLD), ("ofr_m2", SOLD)])
    sql = captured.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(line for (line,) in cursor.fetchall())

    assert set(found) == {"ofr_m3"}  # February's is more than 30 days before 20 March
    assert "scenarios_offer_log_p202603" in plan
    assert "scenarios_offer_log_p202602" in plan  # the window starts on 18 February
    for month in (1, 4, 5, 6, 7, 8, 9):
        assert f"scenarios_offer_log_p2026{month:02d}" not in plan


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    days=st.integers(min_value=1, max_value=120),
    sold=st.datetimes(
        min_value=at(date(2026, 1, 1)).replace(tzinfo=None),
        max_value=at(date(2026, 10, 31)).replace(tzinfo=None),
    ),
    inside=st.booleans(),
)
def test_the_window_holds_exactly_at_the_attribution_days_and_not_a_second_more(
    partner, agreement, days, sold, inside
):
    sold = sold.replace(tzinfo=SOLD.tzinfo)
    with transaction.atomic():
        with override_settings(OFFER_ATTRIBUTION_DAYS=days):
            edge = sold - timedelta(days=days)
            offer_logged(
                partner, offer_id="ofr_edge", quoted_at=edge if inside else edge - timedelta(seconds=1)
            )
            # And the other end: quoted at the sale (passes) or a second beyond the skew (refused).
            skew = ledger.settings.REVENUE_CLOCK_SKEW
            later = sold + (skew if inside else skew + timedelta(seconds=1))
            offer_logged(partner, offer_id="ofr_late", quoted_at=later)
            for offer_id in ("ofr_edge", "ofr_late"):
                sale = item(occurred_at=sold, offer_id=offer_id)
                if inside:
                    record(partner, sale)
                else:
                    with pytest.raises(TransactionInvalid) as caught, transaction.atomic():
                        record(partner, sale)
                    assert caught.value.field == "transactions.0.offer_id"
        assert Transaction.objects.filter(offer_id__startswith="ofr_").count() == (2 if inside else 0)
        transaction.set_rollback(True)
    assert not OfferRecord.objects.filter(offer_id="ofr_edge").exists()
