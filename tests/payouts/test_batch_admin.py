"""Payout batches in the admin: a maker builds, the page shows the netting line by line as
money, a checker releases (the maker — superuser or not — is refused, and told why), a draft is
cancelled, a released batch's files download; list pages at a fixed query count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payouts.models import PayoutBatch
from payouts.pain001 import pain001_bytes, payments_csv_bytes
from payouts.services.batches import payout_batch_build
from tests.factories import StaffFactory
from tests.revenue.factories import scenario_with_products

from .batch_helpers import approved_statement, payable_partner, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(staff_roles, settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard", "premier", "strategic")
    maker, checker = staff(staff_roles)
    skyway = payable_partner(
        maker=maker, checker=checker, scenario=scenario_with_products()[0], slug="skyway"
    )
    owed = approved_statement(skyway, "1234.50")
    claw = approved_statement(skyway, "-34.50")
    return maker, checker, owed, claw


def batch_of(maker):
    return payout_batch_build(actor=maker, currency="CNY", requested_execution_date=timezone.localdate())


def test_a_maker_builds_a_batch_in_the_admin(client, setup):
    maker, _checker, owed, _claw = setup
    client.force_login(maker)
    url = reverse("admin:payouts_payoutbatch_add")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"currency": "CNY", "requested_execution_date": "2000-01-01", "statement_ids": ""}
    )
    assert "cannot be in the past" in response.content.decode()
    response = client.post(
        url,
        {
            "currency": "CNY",
            "requested_execution_date": timezone.localdate().isoformat(),
            "statement_ids": "x",
        },
    )
    assert "whole numbers" in response.content.decode()
    assert not PayoutBatch.objects.exists()
    response = client.post(
        url,
        {
            "currency": "CNY",
            "requested_execution_date": timezone.localdate().isoformat(),
            "statement_ids": f"#{owed.pk}",
        },
    )
    assert response.status_code == 302
    batch = PayoutBatch.objects.get()
    assert (batch.created_by, batch.total_amount) == (maker, Decimal("1200.00"))


def test_the_page_shows_the_netting_and_offers_release_only_to_another_person(client, setup):
    maker, checker, owed, claw = setup
    batch = batch_of(maker)
    url = reverse("admin:payouts_payoutbatch_change", args=[batch.pk])
    release = reverse("admin:payouts_payoutbatch_release", args=[batch.pk])

    client.force_login(maker)
    page = client.get(url).content.decode()
    assert "You built this batch: another person releases it (four eyes)." in page
    assert release not in page
    assert "1,234.50\N{NO-BREAK SPACE}CNY" in page
    assert "-34.50\N{NO-BREAK SPACE}CNY" in page
    assert f"#{owed.pk}" in page
    assert f"#{claw.pk}" in page
    assert "1,200.00\N{NO-BREAK SPACE}CNY" in page

    client.force_login(checker)
    page = client.get(url).content.decode()
    assert release in page
    assert "four eyes" not in page


@pytest.mark.parametrize("superuser", [False, True])
def test_the_maker_is_refused_the_release_even_by_hand(client, setup, staff_roles, superuser):
    maker, _checker, _owed, _claw = setup
    if superuser:
        maker = StaffFactory(email="root@bank.example", is_superuser=True)
    else:
        maker.groups.add(staff_roles["Finance checkers"])  # holding both roles
    batch = batch_of(maker)
    client.force_login(maker)
    response = client.post(
        reverse("admin:payouts_payoutbatch_release", args=[batch.pk]),
        {"action": "release", "_selected_action": [batch.pk], "confirm": "1"},
        follow=True,
    )
    assert "another person releases it (four eyes)" in response.content.decode()
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"


def test_a_checker_releases_and_downloads_the_files(client, setup):
    maker, checker, _owed, _claw = setup
    batch = batch_of(maker)
    client.force_login(checker)
    file_url = reverse("admin:payouts_payoutbatch_file", args=[batch.pk, "pain001"])
    response = client.get(file_url, follow=True)
    assert "only a released batch has a payment file" in response.content.decode()
    release = reverse("admin:payouts_payoutbatch_release", args=[batch.pk])
    assert client.get(release).status_code == 200  # the confirmation page
    client.post(release, {"action": "release", "_selected_action": [batch.pk], "confirm": "1"})
    batch.refresh_from_db()
    assert (batch.status, batch.released_by) == ("released", checker)
    response = client.get(file_url)
    assert response["Content-Disposition"] == f'attachment; filename="{batch.message_id}.xml"'
    assert response.content == pain001_bytes(batch)
    response = client.get(reverse("admin:payouts_payoutbatch_file", args=[batch.pk, "csv"]))
    assert response.content == payments_csv_bytes(batch)
    assert client.get(reverse("admin:payouts_payoutbatch_file", args=[batch.pk, "mt101"])).status_code == 404


def test_a_draft_is_cancelled_with_a_reason(client, setup):
    maker, _checker, _owed, _claw = setup
    batch = batch_of(maker)
    client.force_login(maker)
    url = reverse("admin:payouts_payoutbatch_cancel", args=[batch.pk])
    client.post(url, {"action": "cancel", "_selected_action": [batch.pk], "confirm": "1", "reason": ""})
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"  # a reason is required
    client.post(
        url, {"action": "cancel", "_selected_action": [batch.pk], "confirm": "1", "reason": "wrong date"}
    )
    assert PayoutBatch.objects.get(pk=batch.pk).status == "cancelled"


def test_who_lacks_the_permission_is_refused(client, setup):
    maker, checker, _owed, _claw = setup
    batch = batch_of(maker)
    client.force_login(checker)
    assert client.get(reverse("admin:payouts_payoutbatch_add")).status_code == 403
    assert client.get(reverse("admin:payouts_payoutbatch_cancel", args=[batch.pk])).status_code == 403


@pytest.mark.parametrize("url", ["payouts_payoutbatch", "payouts_payout", "payouts_payoutline"])
def test_list_pages_cost_the_same_whatever_the_data(admin_client, setup, url):
    maker, checker, *_ = setup

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(reverse(f"admin:{url}_changelist")).status_code == 200
        return len(ctx.captured_queries)

    batch_of(maker)
    small = queries()
    skyway = payable_partner(
        maker=maker,
        checker=checker,
        scenario=scenario_with_products(code="other", products=("other-loan",))[0],
        slug="lotus",
    )
    for _ in range(3):
        approved_statement(skyway, "10.00")
        approved_statement(skyway, "-1.00")
        batch_of(maker)
    assert queries() == small
