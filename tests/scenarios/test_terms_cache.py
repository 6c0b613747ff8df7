"""The compiled-terms cache of offer quotes: a quote reads nothing while its version's terms are
cached, and every change that alters an answer reaches every process on its very next request,
with the shared cache (Redis) and with the embedded default (process memory and the epoch file).

Two processes are simulated as for the key cache: each has its own memo (what a web process
holds); a change is made "in process B" through the services, and process A, which holds the
old terms, must answer from the new ones on its next quote. A change made behind the services'
back (a plain UPDATE) is not seen until the generation moves: this shows A really answers from
its memory, so the tests of the drop can fail."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.generations import ProcessMemo, generation_bump, generation_name, generations
from products import services as product_services
from scenarios import selectors, services
from scenarios.exceptions import ScenarioNotAvailable, SegmentUnknown
from scenarios.models import Participation
from tests.caches import OtherProcess, cache_layer
from tests.products.factories import SegmentFactory, SegmentPriceFactory

from .conftest import consent_given

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["memory", "redis"])
def layer(request, settings, tmp_path):
    """Each test runs on both layers: this process's memory checked against the epoch file,
    and Redis (skipped without ``TEST_REDIS_URL``)."""
    with cache_layer(request.param, settings, tmp_path, "terms"):
        yield request.param


class Process(OtherProcess):
    """A web process: its own memo of offer terms."""

    def __init__(self, monkeypatch):
        super().__init__(
            monkeypatch, selectors, "offer_terms", selectors.TERMS_GENERATIONS, selectors.TERMS_SECONDS
        )

    def ask(self, partner, **kw):
        kw.setdefault("scenario_code", "travel-finance")
        kw.setdefault("event", "booking.created")
        kw.setdefault("amount", D("10000.00"))
        if kw.get("segment", "standard") != "standard":
            kw.setdefault("consent", consent_given())  # customer data needs the customer's consent
        with self.running():
            return [quoted.offer for quoted in services.offer_quote(partner=partner, **kw).offers]


@pytest.fixture
def a(monkeypatch):
    return Process(monkeypatch)


@pytest.fixture
def b(monkeypatch):
    return Process(monkeypatch)


@pytest.fixture
def vip(db):
    return SegmentFactory(code="vip")


def _warm(process, partner, django_assert_num_queries, **kw):
    """Quote twice: the second answer comes from the memo (no query but the consent's read when
    the request carries customer data)."""
    process.ask(partner, **kw)
    with django_assert_num_queries(0 if kw.get("segment", "standard") == "standard" else 1):
        return process.ask(partner, **kw)


def test_a_cached_quote_reads_nothing_and_a_plain_update_is_not_seen_until_the_generation_moves(
    layer, a, joined, partner, django_assert_num_queries
):
    _warm(a, partner, django_assert_num_queries)
    Participation.objects.filter(pk=joined.pk).update(status=Participation.Status.ENDED)  # behind the back

    assert a.ask(partner)  # still the cached terms: A really answers from memory
    selectors.terms_forget()
    with pytest.raises(ScenarioNotAvailable):
        a.ask(partner)


def test_an_ended_participation_is_refused_on_the_next_request_in_another_process(
    layer, a, b, joined, partner, manager, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _warm(a, partner, django_assert_num_queries)

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        services.participation_end(participation=joined, actor=manager, reason="Contract ended")

    with pytest.raises(ScenarioNotAvailable) as after:
        a.ask(partner)
    # The same refusal as a fresh process gives: the scenario named, and that the partner left it.
    assert after.value.field == "scenario"
    assert "no longer take part" in str(after.value.message)
    assert joined.scenario_code in str(after.value.message)


def test_a_retired_version_is_refused_on_the_next_request_in_another_process(
    layer,
    a,
    b,
    joined,
    published,
    partner,
    manager,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    _warm(a, partner, django_assert_num_queries)

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        services.scenario_retire(
            scenario=published, actor=manager, reason="Withdrawn", end_participations=True
        )

    with pytest.raises(ScenarioNotAvailable):
        a.ask(partner)


def test_a_move_to_a_newly_published_version_quotes_the_new_terms_in_another_process(
    layer,
    a,
    b,
    joined,
    published,
    partner,
    manager,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    before = _warm(a, partner, django_assert_num_queries, tenor_months=12)
    assert before[0].price.annual_rate == D("0.120000")

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        draft = services.scenario_new_version(scenario=published, actor=manager)
        item = draft.items.get(position=1)
        item.rate_adjustment = D("-0.020000")
        services.bundle_item_save(item=item, actor=manager)
        services.scenario_publish(scenario=draft, actor=manager, reason="cheaper")
    assert a.ask(partner, tenor_months=12)[0].price.annual_rate == D("0.120000")  # still on version 1

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        services.participation_move(participation=joined, actor=None)

    assert a.ask(partner, tenor_months=12)[0].price.annual_rate == D("0.100000")


def test_a_product_rate_change_is_quoted_in_another_process(
    layer,
    a,
    b,
    joined,
    partner,
    manager,
    installment,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    _warm(a, partner, django_assert_num_queries, tenor_months=12)

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        product_services.product_update(product=installment, actor=manager, rate=D("0.130000"))

    assert a.ask(partner, tenor_months=12)[0].price.annual_rate == D("0.130000")


def test_a_retired_product_is_no_longer_offered_in_another_process(
    layer,
    a,
    b,
    joined,
    partner,
    manager,
    insurance,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    assert len(_warm(a, partner, django_assert_num_queries)) == 2

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        product_services.product_retire(product=insurance, actor=manager, reason="Withdrawn")

    assert [offer.product for offer in a.ask(partner)] == ["trip-installment"]


def test_segment_price_changes_are_quoted_in_another_process(
    layer,
    a,
    b,
    joined,
    partner,
    manager,
    installment,
    vip,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    _warm(a, partner, django_assert_num_queries, segment="vip", tenor_months=12)

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        product_services.segment_price_set(
            product=installment, segment=vip, rate_adjustment=D("-0.015000"), actor=manager
        )
    assert a.ask(partner, segment="vip", tenor_months=12)[0].price.annual_rate == D("0.105000")

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        product_services.segment_price_remove(product=installment, segment=vip, actor=manager)
    assert a.ask(partner, segment="vip", tenor_months=12)[0].price.annual_rate == D("0.120000")


def test_a_new_segment_is_accepted_in_another_process(
    layer, a, b, joined, partner, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _warm(a, partner, django_assert_num_queries)
    with pytest.raises(SegmentUnknown):
        a.ask(partner, segment="student")

    with b.running(), django_capture_on_commit_callbacks(execute=True):
        product_services.segment_ensure(code="student", name="Student")

    assert a.ask(partner, segment="student")


def test_terms_forget_makes_every_process_read_the_terms_again(
    layer, a, joined, partner, vip, django_assert_num_queries
):
    """What campaigns call when a budget runs out: the next quote anywhere reads again."""
    _warm(a, partner, django_assert_num_queries)
    a.ask(partner, segment="vip", tenor_months=12)  # records the customer's consent once
    SegmentPriceFactory(product=joined.scenario.items.get(position=1).product, segment=vip)  # behind the back

    selectors.terms_forget()

    # participation and version, items, segment prices, segments; and the customer's consent
    with django_assert_num_queries(5):
        offers = a.ask(partner, segment="vip", tenor_months=12)
    assert offers[0].price.annual_rate == D("0.110000")


def test_partners_on_the_same_version_share_its_compiled_terms(
    layer, a, joined, published, partner, other_partner, manager, django_assert_num_queries
):
    participation = services.participation_request(partner=other_partner, scenario=published)
    services.participation_approve(participation=participation, actor=manager)
    a.ask(partner)

    with django_assert_num_queries(1):  # only the other partner's participation
        a.ask(other_partner)


def test_a_load_that_raced_a_change_is_dropped_on_the_next_lookup(layer):
    memo = ProcessMemo(("scenarios",), seconds=60)
    memo.current()

    def load_while_another_process_changes_things():
        generation_bump("scenarios")  # committed while this process was loading the old rows
        return "old"

    assert memo.get("k", load_while_another_process_changes_things) == "old"
    memo.current()
    assert memo.get("k", lambda: "new") == "new"


def test_the_shared_layer_writes_a_generation_and_no_epoch_file(layer, settings, tmp_path):
    before = generations(("products",))
    generation_bump("products")

    assert generations(("products",)) != before
    epoch_file = tmp_path / "api-auth.epoch"
    if layer == "redis":
        from django.core.cache import caches

        assert caches["default"].get(generation_name("products"))
        assert not epoch_file.exists()
    else:
        assert epoch_file.exists()


# --------------------------------------------------------------------------------------
# One invalidation path: the key cache's process-memory layer and the terms are both
# ``core.generations`` memos, so one bump in another process drops both.
# --------------------------------------------------------------------------------------
def _key_of(partner) -> str:
    from tests.api.factories import issue, verified_documents

    verified_documents(partner)
    return issue(partner, scopes=("offers",)).api_key.prefix


def test_one_bump_in_another_process_drops_the_key_records_and_the_terms(
    layer, a, joined, partner, django_assert_num_queries
):
    from partners.keycache import LocalRecords, key_forget, key_record, keycache_start
    from partners.models import PartnerAPIKey

    prefix = _key_of(partner)
    records = keycache_start()  # this process's verification records, on the layer's generations
    assert isinstance(records, LocalRecords)
    assert key_record(prefix).revoked is False
    _warm(a, partner, django_assert_num_queries)
    # Behind the services' back: both caches still answer from what they hold.
    PartnerAPIKey.objects.filter(prefix=prefix).update(revoked=True, revoked_at=timezone.now())
    Participation.objects.filter(pk=joined.pk).update(status=Participation.Status.ENDED)
    assert key_record(prefix).revoked is False
    assert a.ask(partner)

    # Another process forgets the key: its own layer object on the same backend.
    other = LocalRecords()
    other.keys_forget((prefix,))
    assert key_record(prefix).revoked is True
    if layer == "memory":
        # One generation (the epoch file) for both: the terms went with the key.
        with pytest.raises(ScenarioNotAvailable):
            a.ask(partner)
        return
    # Redis: the key records follow their own generation, the terms theirs.
    assert a.ask(partner)
    selectors.terms_forget()
    with pytest.raises(ScenarioNotAvailable):
        a.ask(partner)
    key_forget(prefix)  # the module's entry point reaches the same layer
    assert key_record(prefix).revoked is True


def test_a_terms_bump_in_another_process_drops_this_process_key_records_on_the_embedded_default(
    layer, partner
):
    from partners.keycache import key_record, keycache_start
    from partners.models import PartnerAPIKey

    if layer != "memory":
        pytest.skip("on Redis each name is a token of its own: the key records watch theirs, not the terms'")
    prefix = _key_of(partner)
    keycache_start()
    assert key_record(prefix).revoked is False
    PartnerAPIKey.objects.filter(prefix=prefix).update(revoked=True, revoked_at=timezone.now())
    assert key_record(prefix).revoked is False
    generation_bump("scenarios")  # a publish in another process
    assert key_record(prefix).revoked is True
