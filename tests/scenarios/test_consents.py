"""Customers' consents (PIPL) on the offer path: who needs one, what it must cover, how it is
recorded (hashed), withdrawn and traced; scenarios declaring their purposes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.secrets import customer_reference
from scenarios import selectors, services
from scenarios.exceptions import ConsentNotFound, ConsentRefused, ScenarioError, ScenarioImmutable
from scenarios.models import Consent, ConsentScenario, OfferRecord
from tests.products.factories import SegmentFactory, SegmentPriceFactory
from tests.scenarios.conftest import consent_given

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PURPOSES = ["offer_personalisation", "credit_pre_assessment"]


@pytest.fixture
def declared(joined):
    """The joined version declares two purposes (set on the row: the version is published)."""
    joined.scenario.data_purposes = PURPOSES
    joined.scenario.save(update_fields=["data_purposes"])
    SegmentPriceFactory(
        product=joined.scenario.items.get(position=1).product, segment=SegmentFactory(code="vip")
    )
    return joined.scenario


def ask(partner, **kw):
    kw.setdefault("scenario_code", "travel-finance")
    kw.setdefault("event", "booking.created")
    kw.setdefault("amount", D("10000.00"))
    return services.offer_quote(partner=partner, **kw)


def refusal(partner, **kw) -> ConsentRefused:
    with pytest.raises(ConsentRefused) as caught:
        ask(partner, **kw)
    assert caught.value.field == "customer.consent"
    return caught.value


# -- who needs a consent --------------------------------------------------------------------
def test_a_standard_request_without_a_customer_needs_no_consent(declared, partner):
    assert ask(partner).offers
    assert ask(partner, segment="standard").offers
    assert not Consent.objects.exists()


def test_a_customer_reference_without_consent_is_refused_naming_every_declared_purpose(declared, partner):
    error = refusal(partner, customer_id="cust-1")
    assert error.purposes_missing == PURPOSES
    assert error.details == {"purposes_missing": PURPOSES}
    assert "offer_personalisation" in error.message
    assert not Consent.objects.exists()


def test_a_segment_other_than_standard_without_consent_is_refused(declared, partner):
    assert refusal(partner, segment="vip").purposes_missing == PURPOSES


def test_a_consent_missing_a_purpose_is_refused_naming_only_the_missing_one(declared, partner):
    error = refusal(
        partner, customer_id="cust-1", consent=consent_given(purposes=["offer_personalisation", "marketing"])
    )
    assert error.purposes_missing == ["credit_pre_assessment"]
    assert "credit_pre_assessment" in error.message
    assert "offer_personalisation" not in error.message
    assert not Consent.objects.exists()


def test_the_portal_try_out_carries_no_customer_data_and_needs_no_consent(declared, partner):
    answer = ask(partner, segment="vip", channel=OfferRecord.Channel.PORTAL)
    assert answer.offers
    assert not Consent.objects.exists()


def test_an_ineligible_request_is_refused_for_its_own_field_before_the_consent(declared, partner):
    with pytest.raises(Exception) as caught:
        ask(partner, segment="platinum")
    assert caught.value.field == "segment"


# -- recording ----------------------------------------------------------------------------
def test_a_covering_consent_is_recorded_with_the_customer_only_as_the_keyed_hash(declared, partner):
    at = datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI)
    with time_machine.travel(at, tick=False):
        ask(
            partner,
            customer_id="cust-42",
            segment="vip",
            consent=consent_given("cns-42", purposes=[*PURPOSES, "marketing", "marketing"]),
        )

    consent = Consent.objects.get()
    assert consent.partner == partner
    assert consent.consent_id == "cns-42"
    assert consent.customer_ref == customer_reference(partner_id=partner.pk, customer_id="cust-42")
    assert "cust-42" not in consent.customer_ref
    # Normalised: declared order, no repeats.
    assert consent.purposes == ["offer_personalisation", "credit_pre_assessment", "marketing"]
    assert consent.granted_at == datetime(2026, 1, 5, 9, 30, tzinfo=SHANGHAI)
    assert consent.first_seen_at == consent.last_seen_at == at
    assert consent.withdrawn_at is None
    assert list(ConsentScenario.objects.values_list("scenario_code", flat=True)) == ["travel-finance"]


def test_every_offer_records_the_consent_it_relied_on(declared, partner):
    ask(partner, customer_id="cust-42", consent=consent_given("cns-42"))
    ask(partner)
    services.offer_log_flush()
    assert sorted(OfferRecord.objects.values_list("consent_id", flat=True)) == ["", "", "cns-42", "cns-42"]
    record = OfferRecord.objects.filter(consent_id="cns-42").first()
    assert selectors.consent_for_offer_record(record) == Consent.objects.get()


def test_the_same_consent_again_is_one_row_and_moves_last_seen_at_most_hourly(declared, partner):
    start = datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI)
    for minutes in (0, 30, 61):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            ask(partner, customer_id="cust-42", consent=consent_given("cns-42"))
        if minutes == 30:
            assert Consent.objects.get().last_seen_at == start
    consent = Consent.objects.get()
    assert consent.first_seen_at == start
    assert consent.last_seen_at == start + timedelta(minutes=61)


def test_one_consent_id_of_two_customers_or_two_partners_is_two_consents(declared, partner, other_partner):
    from tests.scenarios.factories import ParticipationFactory

    ParticipationFactory(partner=other_partner, scenario=declared)
    ask(partner, customer_id="cust-1", consent=consent_given("cns-1"))
    ask(partner, customer_id="cust-2", consent=consent_given("cns-1"))
    ask(other_partner, customer_id="cust-1", consent=consent_given("cns-1"))
    assert Consent.objects.count() == 3


def test_a_consent_id_sent_again_with_other_purposes_is_refused(declared, partner):
    ask(partner, customer_id="cust-1", consent=consent_given("cns-1"))
    error = refusal(partner, customer_id="cust-1", consent=consent_given("cns-1", purposes=PURPOSES))
    assert error.code == "consent_changed"
    assert Consent.objects.get().purposes != PURPOSES


def test_a_consent_granted_in_the_future_is_refused(declared, partner):
    with time_machine.travel(datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        error = refusal(
            partner,
            customer_id="cust-1",
            consent=consent_given(granted_at=datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)),
        )
    assert error.code == "consent_not_granted_yet"


def test_a_refused_consent_counts_the_request_as_refused(declared, partner):
    from scenarios.services.offers import quote_counts

    quote_counts.drain()
    refusal(partner, customer_id="cust-1")
    services.offer_quote_counts_flush()
    from scenarios.models import OfferQuoteDaily

    assert OfferQuoteDaily.objects.get().refusals == 1


# -- withdrawal -----------------------------------------------------------------------------
def test_after_withdrawal_any_offer_relying_on_the_consent_is_refused(declared, partner):
    ask(partner, customer_id="cust-1", consent=consent_given("cns-1"))
    withdrawn = services.consent_withdraw(partner=partner, customer_id="cust-1", consent_id="cns-1")
    assert withdrawn.withdrawn_at is not None

    error = refusal(partner, customer_id="cust-1", consent=consent_given("cns-1"))
    assert error.code == "consent_withdrawn"
    # Never revived: the row stays withdrawn, and a new consent id is a new consent.
    assert Consent.objects.get(consent_id="cns-1").withdrawn_at == withdrawn.withdrawn_at
    assert ask(partner, customer_id="cust-1", consent=consent_given("cns-2")).offers


def test_withdrawing_twice_answers_the_first_withdrawal(declared, partner):
    ask(partner, customer_id="cust-1", consent=consent_given("cns-1"))
    first = services.consent_withdraw(partner=partner, customer_id="cust-1", consent_id="cns-1")
    with time_machine.travel(datetime(2027, 1, 1, tzinfo=SHANGHAI)):
        again = services.consent_withdraw(partner=partner, customer_id="cust-1", consent_id="cns-1")
    assert again.withdrawn_at == first.withdrawn_at


def test_withdrawing_a_consent_never_sent_or_of_another_partner_or_customer_is_not_found(
    declared, partner, other_partner
):
    ask(partner, customer_id="cust-1", consent=consent_given("cns-1"))
    for who, customer, consent_id in (
        (partner, "cust-1", "cns-unknown"),
        (partner, "cust-2", "cns-1"),
        (other_partner, "cust-1", "cns-1"),
    ):
        with pytest.raises(ConsentNotFound):
            services.consent_withdraw(partner=who, customer_id=customer, consent_id=consent_id)
    assert Consent.objects.get().withdrawn_at is None


# -- traceability ---------------------------------------------------------------------------
def test_the_consent_in_force_at_a_moment_is_found_by_hashed_reference_partner_and_time(declared, partner):
    ref = customer_reference(partner_id=partner.pk, customer_id="cust-1")
    jan, feb = datetime(2026, 1, 5, 9, 30, tzinfo=SHANGHAI), datetime(2026, 2, 5, 9, 30, tzinfo=SHANGHAI)
    with time_machine.travel(datetime(2026, 2, 10, tzinfo=SHANGHAI), tick=False):
        ask(partner, customer_id="cust-1", consent=consent_given("cns-jan", granted_at=jan))
        services.consent_withdraw(partner=partner, customer_id="cust-1", consent_id="cns-jan")
    with time_machine.travel(datetime(2026, 2, 20, tzinfo=SHANGHAI), tick=False):
        ask(partner, customer_id="cust-1", consent=consent_given("cns-feb", granted_at=feb))

    def in_force(at):
        found = selectors.consent_in_force(partner_id=partner.pk, customer_ref=ref, at=at)
        return found and found.consent_id

    assert in_force(jan - timedelta(days=1)) is None
    assert in_force(jan + timedelta(days=1)) == "cns-jan"
    # From 5 February the later grant is in force; after 10 February (withdrawal) only it.
    assert in_force(feb + timedelta(days=1)) == "cns-feb"
    assert in_force(datetime(2026, 3, 1, tzinfo=SHANGHAI)) == "cns-feb"
    assert selectors.consent_in_force(partner_id=partner.pk + 1000, customer_ref=ref, at=feb) is None
    assert selectors.consent_in_force(partner_id=partner.pk, customer_ref="", at=feb) is None


def test_a_withdrawn_consent_is_not_in_force_after_its_withdrawal(declared, partner):
    ref = customer_reference(partner_id=partner.pk, customer_id="cust-1")
    with time_machine.travel(datetime(2026, 2, 10, tzinfo=SHANGHAI), tick=False):
        ask(partner, customer_id="cust-1", consent=consent_given("cns-1"))
        services.consent_withdraw(partner=partner, customer_id="cust-1", consent_id="cns-1")
    before = selectors.consent_in_force(
        partner_id=partner.pk, customer_ref=ref, at=datetime(2026, 2, 9, tzinfo=SHANGHAI)
    )
    after = selectors.consent_in_force(
        partner_id=partner.pk, customer_ref=ref, at=datetime(2026, 2, 11, tzinfo=SHANGHAI)
    )
    assert before.consent_id == "cns-1"
    assert after is None


# -- scenarios declare their purposes -------------------------------------------------------
def test_a_draft_takes_known_purposes_normalised_and_refuses_unknown_ones(manager, draft):
    updated = services.scenario_update(
        scenario=draft, actor=manager, data_purposes=["marketing", "offer_personalisation", "marketing"]
    )
    assert updated.data_purposes == ["offer_personalisation", "marketing"]
    with pytest.raises(ScenarioError) as caught:
        services.scenario_update(scenario=draft, actor=manager, data_purposes=["selling_data"])
    assert caught.value.field == "data_purposes"
    with pytest.raises(ScenarioError):
        services.scenario_update(scenario=draft, actor=manager, data_purposes="marketing")


def test_a_published_version_keeps_its_purposes_and_a_new_version_copies_them(manager, draft):
    services.scenario_update(scenario=draft, actor=manager, data_purposes=PURPOSES)
    published = services.scenario_publish(scenario=draft, actor=manager, reason="launch")
    with pytest.raises(ScenarioImmutable):
        services.scenario_update(scenario=published, actor=manager, data_purposes=["marketing"])
    assert services.scenario_new_version(scenario=published, actor=manager).data_purposes == PURPOSES


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_concurrent_first_requests_with_one_consent_record_it_once():
    """Many requests bring a consent the bank has not seen yet at the same moment (several web
    processes): one row, one scenario link, every request answered with its id."""
    import threading

    from django.db import connection

    from tests.factories import PartnerFactory
    from tests.scenarios.factories import ScenarioFactory

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent writers")
    partner = PartnerFactory()
    scenario = ScenarioFactory(data_purposes=PURPOSES)
    ref = customer_reference(partner_id=partner.pk, customer_id="cust-1")
    workers = 8
    barrier = threading.Barrier(workers)
    answers, errors = [], []

    def request():
        try:
            barrier.wait()
            answers.append(
                services.consent_for_offer(
                    partner=partner,
                    scenario_code=scenario.code,
                    declared_purposes=scenario.data_purposes,
                    customer_ref=ref,
                    segment=None,
                    consent=consent_given("cns-race"),
                )
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert answers == ["cns-race"] * workers
    assert Consent.objects.count() == 1
    assert ConsentScenario.objects.count() == 1
