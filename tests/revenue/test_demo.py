"""The demo data of revenue sharing meets README, Demo logins."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from revenue.models import Agreement, Dispute, Statement, Transaction
from revenue.periods import calendar_period
from revenue.services import settlement_plan

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_the_latest_closed_period_for_the_first_run(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    today = timezone.localdate()

    agreements = {
        a.partner.slug: a for a in Agreement.objects.filter(status="active").select_related("partner")
    }
    assert set(agreements) == {"skyway-travel", "greenleaf-community"}
    # Accepted in the portal by the partner's owner or finance member, the hash recorded.
    for agreement in agreements.values():
        assert agreement.acceptance == "portal"
        assert agreement.accepted_by.memberships.get(partner=agreement.partner).role in ("owner", "finance")
        assert agreement.status_changes.get(to_status="active").terms_sha256 == agreement.terms_sha256
    assert not Agreement.objects.filter(status__in=("sent", "declined")).exists()
    assert len({a.model for a in agreements.values()}) == 2
    for agreement in agreements.values():
        current = calendar_period(agreement.cycle, today)
        last_closed = calendar_period(agreement.cycle, current.start - timedelta(days=1))
        statements = Statement.objects.filter(agreement=agreement)
        assert not statements.filter(period_start=last_closed.start).exists()
        assert statements.count() >= 3
        assert {"draft", "approved", "paid"} <= set(statements.values_list("status", flat=True))
        assert Transaction.objects.filter(
            partner=agreement.partner, occurred_on__gte=last_closed.start
        ).exists()
    plan = settlement_plan(through=today - timedelta(days=1))
    assert sorted(len(group) for group in plan) == [1, 1]  # the first scheduled run settles exactly those
    assert Dispute.objects.filter(status="open").count() == 1
