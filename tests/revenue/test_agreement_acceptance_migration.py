"""Agreements in force before acceptance existed stay valid: the data migration records each as
accepted ("before_acceptance", at its approval, by nobody) with the SHA-256 of its terms, on the
agreement and in a change row; drafts are left alone; then the database requires acceptance."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from revenue.models import Agreement
from revenue.terms import terms_sha256
from tests.factories import PartnerFactory, StaffFactory
from tests.scenarios.factories import ScenarioFactory

BEFORE = [("revenue", "0014_agreement_acceptance")]


@pytest.mark.django_db(transaction=True)
def test_agreements_in_force_before_acceptance_are_recorded_as_accepted():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    old = executor.loader.project_state(BEFORE[0], at_end=True).apps
    OldAgreement = old.get_model("revenue", "Agreement")
    partner, scenario = PartnerFactory(), ScenarioFactory(code="travel-finance")
    maker, checker = StaffFactory(email="maker@bank.example"), StaffFactory(email="checker@bank.example")
    approved_at = timezone.now().replace(microsecond=0)
    common = {
        "partner_id": partner.pk, "scenario_id": scenario.pk, "scenario_code": "travel-finance",
        "model": "percentage", "terms": {"rate": "0.300000"}, "basis": "amount", "cycle": "monthly",
        "currency": "CNY", "created_by_id": maker.pk,
    }  # fmt: skip
    in_force = OldAgreement.objects.create(
        **common, effective_from=date(2026, 1, 1), status="active", approved_by_id=checker.pk,
        approved_at=approved_at,
    )  # fmt: skip
    draft = OldAgreement.objects.create(**common, effective_from=date(2026, 6, 1), status="draft")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    agreement = Agreement.objects.get(pk=in_force.pk)
    assert (agreement.status, agreement.acceptance, agreement.accepted_by) == (
        "active",
        "before_acceptance",
        None,
    )
    assert agreement.accepted_at == approved_at
    assert agreement.terms_sha256 == terms_sha256(agreement)
    row = agreement.status_changes.get()
    assert (row.from_status, row.to_status, row.changed_by, row.reason, row.terms_sha256) == (
        "active", "active", None, "accepted before acceptance existed", agreement.terms_sha256,
    )  # fmt: skip
    untouched = Agreement.objects.get(pk=draft.pk)
    assert (untouched.acceptance, untouched.terms_sha256, untouched.accepted_at) == ("", "", None)
    assert not untouched.status_changes.exists()
