"""The admin toolkit every app shares (``core.admin``): one runner of per-record actions, and
history that staff read but never revert in any app's admin."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage

from core.admin import run_per_object
from core.domain import DomainError
from tests.factories import IndustryFactory, StaffFactory
from tests.products.factories import ProductFactory


class Refused(DomainError):
    pass


def _request(rf):
    request = rf.post("/admin/")
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_each_refusal_is_reported_by_name_and_the_others_still_run(rf):
    request = _request(rf)
    done_with = []

    def call(name):
        if name == "b":
            raise Refused("not now")
        done_with.append(name)

    result = run_per_object(request, ["a", "b", "c"], call, name=str.upper)

    assert result == (2, 1)
    assert done_with == ["a", "c"]
    assert [(m.level_tag, m.message) for m in get_messages(request)] == [("error", "B: not now")]


def test_successes_are_reported_one_by_one_only_when_asked(rf):
    request = _request(rf)

    run_per_object(request, ["a"], lambda name: None, success=lambda name: f"{name} done")

    assert [(m.level_tag, m.message) for m in get_messages(request)] == [("success", "a done")]


@pytest.fixture
def superuser(db):
    return StaffFactory(email="root@bank.example", is_superuser=True)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["product", "segment", "industry", "user"])
def test_no_admin_reverts_a_record_to_an_old_version(client, superuser, kind):
    """Reverting would write the record around its services (no change row, no checks)."""
    if kind == "product":
        record, url = ProductFactory(code="trip-installment"), "/admin/products/product"
    elif kind == "segment":
        from products.models import Segment

        record, url = (
            Segment.objects.create(code="gold", name="Gold", name_zh="金", position=1),
            ("/admin/products/segment"),
        )
    elif kind == "industry":
        record, url = IndustryFactory(code="travel"), "/admin/partners/industry"
    else:
        record, url = superuser, "/admin/portal/user"
    version = record.history.first()
    client.force_login(superuser)

    history = client.get(f"{url}/{record.pk}/history/")
    revert = client.post(f"{url}/{record.pk}/history/{version.history_id}/", {})

    assert history.status_code == 200
    assert revert.status_code == 403


def test_a_permission_is_named_as_people_read_it_in_their_language():
    from django.utils import translation

    from core.admin import permission_label

    assert permission_label("revenue.pay_statement") == "Can record the payout of a statement"
    assert permission_label("scenarios.view_scenario") == "Can view scenario"
    with translation.override("zh-hans"):
        assert permission_label("revenue.pay_statement") != "Can record the payout of a statement"


@pytest.mark.django_db
def test_reverting_is_refused_with_the_reason(client, superuser):
    product = ProductFactory(code="trip-installment")
    client.force_login(superuser)

    url = f"/admin/products/product/{product.pk}/history/{product.history.first().history_id}/"
    page = client.post(url, {}).content.decode()

    assert "An old version cannot be restored here" in page
