"""The ecosystem dashboard's figures against hand-computed expectations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from partners.models import PartnerDocument
from tests.api.factories import api_partner, issue
from tests.console.factories import usage
from tests.factories import IndustryFactory, PartnerFactory

TODAY = date(2026, 6, 15)


@pytest.fixture
def clock():
    with time_machine.travel(timezone.datetime(2026, 6, 15, 10, 0, tzinfo=timezone.get_current_timezone())):
        yield


@pytest.fixture
def ecosystem(db, clock):
    travel = IndustryFactory(code="travel", name="Travel", position=1)
    community = IndustryFactory(code="community", name="Community", position=2)
    skyway = api_partner("skyway", industry=travel)
    oasis = api_partner("oasis", industry=travel)
    PartnerFactory(slug="newcomer", industry=travel, status="submitted")
    greenleaf = api_partner("greenleaf", industry=community)
    usage(skyway, TODAY - timedelta(days=1), calls=100, errors=5)
    usage(oasis, TODAY - timedelta(days=1), calls=50, errors=0)
    usage(greenleaf, TODAY - timedelta(days=1), calls=7, errors=7)
    usage(skyway, TODAY - timedelta(days=2), calls=10, errors=1)
    usage(skyway, TODAY - timedelta(days=40), calls=999, errors=999)  # outside the default 30 days
    return {"travel": travel, "community": community, "skyway": skyway, "greenleaf": greenleaf}


def _rows(response, name):
    return response.context[name]


def test_partners_by_industry_and_state_counts_each_pair(staff_client, ecosystem):
    response = staff_client.get("/staff/")
    got = {(r["industry__name"], r["status"]): r["count"] for r in _rows(response, "partners")}
    assert got == {("Travel", "active"): 2, ("Travel", "submitted"): 1, ("Community", "active"): 1}


def test_partner_figures_link_to_the_filtered_changelist(staff_client, ecosystem):
    response = staff_client.get("/staff/")
    row = next(r for r in _rows(response, "partners") if r["status"] == "submitted")
    assert row["link"] == (
        f"/admin/partners/partner/?industry__id__exact={ecosystem['travel'].pk}&status__exact=submitted"
    )
    assert staff_client.get(row["link"]).status_code == 200
    assert f'href="{row["link"].replace("&", "&amp;")}"' in response.content.decode()


def test_the_industry_filter_narrows_every_figure(staff_client, ecosystem):
    response = staff_client.get("/staff/", {"industry": ecosystem["community"].pk})
    assert [(r["industry__name"], r["count"]) for r in _rows(response, "partners")] == [("Community", 1)]
    assert [(r["calls"], r["errors"]) for r in _rows(response, "usage")] == [(7, 7)]


def test_api_calls_and_errors_are_summed_per_day_in_the_period(staff_client, ecosystem):
    response = staff_client.get("/staff/")
    got = [(r["day"], r["calls"], r["errors"]) for r in _rows(response, "usage")]
    assert got == [(TODAY - timedelta(days=2), 10, 1), (TODAY - timedelta(days=1), 157, 12)]
    assert response.context["usage_totals"] == {"calls": 167, "errors": 13}
    assert "<svg" in response.content.decode()


def test_the_period_filter_reaches_back(staff_client, ecosystem):
    day = TODAY - timedelta(days=40)
    response = staff_client.get("/staff/", {"date_from": day.isoformat(), "date_to": day.isoformat()})
    assert [(r["calls"], r["errors"]) for r in _rows(response, "usage")] == [(999, 999)]
    assert response.context["usage_link"] == (
        f"/admin/partners/apiusage/?day__gte={day}&day__lte={day}&key__sandbox__exact=0"
    )


def test_an_inverted_period_falls_back_to_the_default(staff_client, ecosystem):
    response = staff_client.get("/staff/", {"date_from": "2026-06-10", "date_to": "2026-06-01"})
    assert response.context["filters"].end == TODAY
    assert response.context["form"].errors


def test_documents_and_keys_expiring_in_the_warning_window_are_counted(staff_client, ecosystem, settings):
    settings.PARTNER_DOCUMENT_EXPIRY_WARNING_DAYS = 30
    settings.API_KEY_EXPIRY_WARNING_DAYS = 14
    skyway = ecosystem["skyway"]
    tz = timezone.get_current_timezone()
    soon = issue(skyway, name="Soon", expires_at=timezone.datetime(2026, 6, 20, 12, tzinfo=tz)).api_key
    issue(skyway, name="Later", expires_at=timezone.datetime(2026, 7, 20, 12, tzinfo=tz))
    docs = list(PartnerDocument.objects.filter(partner=skyway))
    PartnerDocument.objects.filter(pk=docs[0].pk).update(expires_on=TODAY + timedelta(days=10))
    PartnerDocument.objects.filter(pk=docs[1].pk).update(expires_on=TODAY + timedelta(days=31))  # later
    PartnerDocument.objects.filter(pk=docs[2].pk).update(
        expires_on=TODAY + timedelta(days=5), status="rejected"
    )  # not live
    response = staff_client.get("/staff/")
    documents, keys = response.context["documents"], response.context["keys"]
    assert documents.count == 1
    assert documents.soonest[0].pk == docs[0].pk
    assert (
        documents.link
        == "/admin/partners/partnerdocument/?expires_on__gte=2026-06-15&expires_on__lte=2026-07-15"
    )
    assert keys.count == 1
    assert keys.soonest[0].pk == soon.pk
    assert staff_client.get(documents.link).status_code == 200
    assert staff_client.get(keys.link).status_code == 200


def test_the_dashboard_costs_the_same_queries_at_two_sizes(
    staff_client, ecosystem, django_assert_num_queries
):
    def measure() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get("/staff/").status_code == 200
        return len(ctx.captured_queries)

    small = measure()
    travel = ecosystem["travel"]
    for n in range(8):
        partner = api_partner(f"more-{n}", industry=IndustryFactory(code=f"extra-{n}"))
        usage(partner, TODAY - timedelta(days=n), calls=n + 1)
    PartnerFactory(slug="another", industry=travel, status="suspended")
    with django_assert_num_queries(small):
        assert staff_client.get("/staff/").status_code == 200
