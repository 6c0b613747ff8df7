"""core.transitions: one allowed-moves check, one change row, one error; and who acts (actor)."""

from __future__ import annotations

import pytest

from console.exceptions import SignalInvalidTransition
from console.models import RiskSignal
from core.actors import staff_may
from core.domain import InvalidTransition
from core.four_eyes import is_maker, makers_add, may_check
from core.transitions import change_row_write, history_note, transition, transition_check
from partners.exceptions import PartnerInvalidTransition
from products.exceptions import ProductStatusInvalid
from products.models import Product, ProductStatusChange
from revenue.exceptions import StatusMoveInvalid
from scenarios.exceptions import ParticipationStatusInvalid, ScenarioStatusInvalid
from tests.factories import StaffFactory, UserFactory
from tests.products.factories import ProductFactory

pytestmark = pytest.mark.django_db

S = Product.Status
MOVES = {
    S.DRAFT: frozenset({S.ACTIVE, S.RETIRED}),
    S.ACTIVE: frozenset({S.RETIRED}),
    S.RETIRED: frozenset(),
}


@pytest.fixture
def alice():
    return StaffFactory(email="alice@bank.example")


@pytest.fixture
def draft():
    return ProductFactory(code="travel-installment", status=S.DRAFT)


def _move(product, to, actor, **kwargs):
    return transition(
        product,
        to,
        moves=MOVES,
        actor=actor,
        change_model=ProductStatusChange,
        error=ProductStatusInvalid,
        **kwargs,
    )


def test_an_allowed_move_saves_the_status_and_writes_one_change_row_with_who_from_to_and_why(alice, draft):
    change = _move(draft, S.ACTIVE, alice, reason="ready for sale")

    assert Product.objects.get(pk=draft.pk).status == S.ACTIVE
    row = ProductStatusChange.objects.get(product=draft)
    assert row == change
    assert (row.changed_by, row.from_status, row.to_status, row.reason) == (
        alice,
        S.DRAFT,
        S.ACTIVE,
        "ready for sale",
    )
    history = draft.history.first()
    assert history.history_user == alice
    # Stored with the codes (language-neutral), read in the reader's language as names.
    assert history.history_change_reason == "draft → active: ready for sale"
    assert history_note(Product, history.history_change_reason) == "Draft → Active: ready for sale"


def test_a_refused_move_raises_the_apps_error_naming_both_statuses_and_writes_nothing(alice, draft):
    retired = ProductFactory(code="old-installment", status=S.RETIRED)
    histories = retired.history.count()

    with pytest.raises(InvalidTransition) as caught:
        _move(retired, S.ACTIVE, alice)

    assert isinstance(caught.value, ProductStatusInvalid)
    assert caught.value.message == "This product cannot go from “Retired” to “Active”."
    assert caught.value.field == "status"
    assert caught.value.status_code == 409
    assert Product.objects.get(pk=retired.pk).status == S.RETIRED
    assert not ProductStatusChange.objects.exists()
    assert retired.history.count() == histories


def test_the_moves_own_refusal_comes_after_the_map_and_before_anything_is_written(alice, draft):
    def not_yet(product):
        raise ProductStatusInvalid("terms not checked")

    with pytest.raises(ProductStatusInvalid, match="terms not checked"):
        _move(draft, S.ACTIVE, alice, check=not_yet)

    assert Product.objects.get(pk=draft.pk).status == S.DRAFT
    assert not ProductStatusChange.objects.exists()


def test_only_the_status_the_changes_and_the_timestamps_are_saved(alice, draft):
    Product.objects.filter(pk=draft.pk).update(name="Renamed meanwhile")
    before = Product.objects.get(pk=draft.pk).updated_at

    _move(draft, S.RETIRED, alice, changes={"description": "no longer sold"})

    stored = Product.objects.get(pk=draft.pk)
    assert (stored.status, stored.description, stored.name) == (
        S.RETIRED,
        "no longer sold",
        "Renamed meanwhile",
    )
    assert stored.updated_at >= before


def test_the_system_moves_with_no_person_on_the_change_row(draft):
    _move(draft, S.ACTIVE, None, reason="seeded")

    row = ProductStatusChange.objects.get(product=draft)
    assert row.changed_by is None
    assert draft.history.first().history_user is None


def test_a_record_without_history_must_name_its_change_table(alice):
    signal = RiskSignal(status=RiskSignal.Status.OPEN)

    with pytest.raises(TypeError):
        transition(signal, RiskSignal.Status.ACKNOWLEDGED, moves={}, actor=alice, change_model=None)


def test_the_birth_row_moves_from_nothing(alice, draft):
    row = change_row_write(ProductStatusChange, draft, from_status="", to_status=S.DRAFT, actor=alice)

    assert (row.product, row.from_status, row.to_status, row.changed_by) == (draft, "", S.DRAFT, alice)


def test_a_check_before_the_move_refuses_like_the_move(draft):
    transition_check(draft, S.ACTIVE, moves=MOVES)

    with pytest.raises(InvalidTransition, match="“Draft” to “Draft”"):
        transition_check(draft, S.DRAFT, moves=MOVES)


@pytest.mark.parametrize(
    "error",
    [
        ProductStatusInvalid,
        ScenarioStatusInvalid,
        ParticipationStatusInvalid,
        PartnerInvalidTransition,
        StatusMoveInvalid,
        SignalInvalidTransition,
    ],
)
def test_every_apps_refused_move_is_the_kernels_error(error):
    assert issubclass(error, InvalidTransition)


# --------------------------------------------------------------------------------------
# Who acts: None is the system
# --------------------------------------------------------------------------------------
def test_the_system_passes_a_permission_check_only_where_the_service_runs_it():
    assert staff_may(None, "products.change_product", system=True)
    assert not staff_may(None, "products.change_product")


def test_a_person_needs_to_be_active_staff_holding_the_permission(alice):
    outsider = UserFactory(email="charlie@example.com", is_superuser=True)  # not staff
    assert not staff_may(alice, "products.change_product")
    alice.is_superuser = True
    assert staff_may(alice, "products.change_product")
    assert staff_may(alice, "products.change_product", system=True)
    assert not staff_may(outsider, "products.change_product")


def test_the_system_is_nobodys_maker_and_never_a_checker(alice):
    makers: dict[int, list[str]] = {}
    makers_add(makers, None, "drafted it")
    makers_add(makers, alice.pk, "submitted it")

    assert makers == {alice.pk: ["submitted it"]}
    assert not is_maker(None, makers)
    assert not may_check(None, makers)
    assert not may_check(alice, makers)
    assert may_check(StaffFactory(email="bob@bank.example"), makers)
