"""Scenario versions: drafts change, published versions never do, edits make the next version,
partners stay on the version they joined until they move."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from core.domain import InvalidTransition, NotAllowed
from scenarios import selectors, services
from scenarios.exceptions import ScenarioError, ScenarioImmutable, ScenarioNotPublishable
from scenarios.models import BundleItem, Participation, Scenario, ScenarioStatusChange
from tests.factories import IndustryFactory, PartnerFactory, UserFactory
from tests.products.factories import ProductFactory
from tests.scenarios.conftest import compose
from tests.scenarios.factories import ScenarioFactory

pytestmark = pytest.mark.django_db


def test_a_new_scenario_is_version_one_in_draft(draft, manager):
    assert (draft.version, draft.status, draft.created_by) == (1, "draft", manager)
    assert [item.product.code for item in draft.items.order_by("position")] == [
        "trip-installment",
        "trip-cover",
    ]
    assert draft.history.first().history_user == manager


def test_trigger_events_must_be_dotted_event_names(manager):
    with pytest.raises(ScenarioError) as caught:
        compose(manager, trigger_events=["booking.created", "Booking Created"])

    assert caught.value.field == "trigger_events"
    assert "Booking Created" in caught.value.message
    assert not Scenario.objects.exists()


def test_a_scenario_code_is_taken_once(draft, manager):
    with pytest.raises(ScenarioError) as caught:
        compose(manager)

    assert caught.value.field == "code"


def test_publishing_records_who_when_and_why(published, manager):
    change = ScenarioStatusChange.objects.get(scenario=published)

    assert published.status == "published"
    assert published.published_at is not None
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        "draft", "published", manager, "launch",
    )  # fmt: skip


def test_every_reason_not_to_publish_is_listed_and_nothing_changes(manager):
    draft_product = ProductFactory(code="not-yet", status="draft")
    scenario = compose(manager, products=[draft_product], trigger_events=[], data_purpose="")
    BundleItem.objects.filter(scenario=scenario).update(role="cross_sell")
    retired = ProductFactory(code="gone")
    services.bundle_item_add(scenario=scenario, product=retired, actor=manager, role="cross_sell")
    retired.status = "retired"
    retired.save()

    with pytest.raises(ScenarioNotPublishable) as caught:
        services.scenario_publish(scenario=scenario, actor=manager)

    messages = " | ".join(message for _field, message in caught.value.problems)
    assert {field for field, _message in caught.value.problems} >= {"trigger_events", "data_purpose", "items"}
    assert "primary" in messages
    assert "not-yet is still a draft" in messages
    assert "gone is retired" in messages
    assert Scenario.objects.get(pk=scenario.pk).status == "draft"
    assert not ScenarioStatusChange.objects.exists()


def test_a_scenario_without_products_cannot_be_published(manager):
    scenario = compose(manager)

    with pytest.raises(ScenarioNotPublishable, match="at least one product"):
        services.scenario_publish(scenario=scenario, actor=manager)


def test_a_published_version_is_immutable(published, manager, installment):
    item = published.items.first()

    with pytest.raises(ScenarioImmutable):
        services.scenario_update(scenario=published, actor=manager, name="Renamed")
    with pytest.raises(ScenarioImmutable):
        services.bundle_item_add(scenario=published, product=ProductFactory(), actor=manager)
    with pytest.raises(ScenarioImmutable):
        services.bundle_item_remove(item=item, actor=manager)
    item.rate_adjustment = D("-0.010000")
    with pytest.raises(ScenarioImmutable):
        services.bundle_item_save(item=item, actor=manager)

    assert Scenario.objects.get(pk=published.pk).name == published.name
    assert BundleItem.objects.get(pk=item.pk).rate_adjustment == D("0")


def test_edit_makes_the_next_draft_version_with_the_same_items(published, manager):
    BundleItem.objects.filter(scenario=published, position=1).update(rate_adjustment=D("-0.010000"))

    draft = services.scenario_new_version(scenario=published, actor=manager)

    assert (draft.code, draft.version, draft.status, draft.based_on) == (
        published.code,
        2,
        "draft",
        published,
    )
    assert list(draft.items.values_list("product__code", "position", "role", "rate_adjustment")) == list(
        published.items.values_list("product__code", "position", "role", "rate_adjustment")
    )
    assert Scenario.objects.get(pk=published.pk).status == "published"


def test_there_is_never_more_than_one_draft_of_a_scenario(published, manager):
    services.scenario_new_version(scenario=published, actor=manager)

    with pytest.raises(ScenarioError, match="already a draft"):
        services.scenario_new_version(scenario=published, actor=manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScenarioFactory(code=published.code, version=9, status="draft")


def test_a_new_version_leaves_out_products_retired_since(published, manager, insurance):
    insurance.status = "retired"
    insurance.save()

    draft = services.scenario_new_version(scenario=published, actor=manager)

    assert draft.left_out_products == ["trip-cover"]
    assert list(draft.items.values_list("product__code", flat=True)) == ["trip-installment"]


def test_partners_stay_on_the_version_they_joined_until_they_move(joined, published, partner, manager):
    draft = services.scenario_new_version(scenario=published, actor=manager)
    services.bundle_item_save(
        item=_with(draft.items.get(position=1), rate_adjustment=D("-0.020000")), actor=manager
    )
    v2 = services.scenario_publish(scenario=draft, actor=manager)

    assert selectors.scenario_get_for_partner(partner=partner, code=published.code).version == 1
    ((_id, offer, _shape), _cover) = services.offer_quote(
        partner=partner, scenario_code=published.code, event="booking.created", amount=D("1000.00")
    ).offers
    assert offer.price.annual_rate == D("0.120000")  # version 1's price

    moved = services.participation_move(participation=joined, actor=None)

    assert moved.scenario == v2
    assert selectors.scenario_get_for_partner(partner=partner, code=published.code).version == 2
    ((_id, offer, _shape), _cover) = services.offer_quote(
        partner=partner, scenario_code=published.code, event="booking.created", amount=D("1000.00")
    ).offers
    assert offer.price.annual_rate == D("0.100000")  # version 2's bundle adjustment


def _with(item, **changes):
    for field, value in changes.items():
        setattr(item, field, value)
    return item


def test_clone_makes_a_template_for_another_industry_or_partner(published, manager):
    community = IndustryFactory(code="community")
    greenleaf = PartnerFactory(slug="greenleaf")

    clone = services.scenario_clone(
        scenario=published, actor=manager, code="community-finance", name="Community+Finance",
        industry=community, reserved_for=greenleaf,
    )  # fmt: skip

    assert (clone.version, clone.status, clone.industry, clone.reserved_for) == (
        1,
        "draft",
        community,
        greenleaf,
    )
    assert clone.based_on == published
    assert clone.items.count() == 2
    with pytest.raises(ScenarioError):
        services.scenario_clone(scenario=published, actor=manager, code="community-finance")


def test_retiring_a_version_with_active_partners_needs_their_participation_ended(joined, published, manager):
    with pytest.raises(ScenarioError, match="still active"):
        services.scenario_retire(scenario=published, actor=manager, reason="replaced")

    services.scenario_retire(scenario=published, actor=manager, reason="replaced", end_participations=True)

    participation = Participation.objects.get(pk=joined.pk)
    assert Scenario.objects.get(pk=published.pk).status == "retired"
    assert participation.status == "ended"
    assert participation.status_changes.first().reason == "replaced"


def test_retiring_needs_a_reason(published, manager):
    with pytest.raises(ScenarioError) as caught:
        services.scenario_retire(scenario=published, actor=manager, reason=" ")

    assert caught.value.field == "reason"


@pytest.mark.parametrize(
    ("start", "to"), [("published", "draft"), ("retired", "published"), ("retired", "draft")]
)
def test_status_moves_outside_the_map_are_refused(manager, start, to):
    scenario = ScenarioFactory(status=start)

    with pytest.raises(InvalidTransition):
        services.scenario_status_change(scenario=scenario, to=to, actor=manager)


def test_staff_without_the_permission_cannot_compose_or_publish(draft, staff_roles):
    outsider = UserFactory(is_staff=True)

    with pytest.raises(NotAllowed):
        services.scenario_update(scenario=draft, actor=outsider, name="Mine")
    with pytest.raises(NotAllowed):
        services.scenario_publish(scenario=draft, actor=outsider)
