"""The audit view: status changes and record history of every app, searchable, paginated,
at a fixed query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console.selectors import audit
from partners.models import PartnerStatusChange
from tests.factories import PartnerFactory
from tests.scenarios.factories import ParticipationFactory


@pytest.fixture
def moves(db, staff, other_staff):
    partner = PartnerFactory(slug="skyway", display_name="Skyway Travel", status="suspended")
    PartnerStatusChange.objects.create(
        partner=partner, from_status="active", to_status="suspended", changed_by=staff, reason="refund spike"
    )
    participation = ParticipationFactory()
    participation.status_changes.create(from_status="requested", to_status="active", changed_by=other_staff)
    return partner, participation


def _rows(response):
    return response.context["page"].rows


def test_it_lists_status_changes_and_history_of_several_apps(staff_client, moves):
    partner, _participation = moves
    rows = _rows(staff_client.get("/staff/audit/"))
    sources = {r.source.key for r in rows}
    assert {
        "partners.partnerstatuschange",
        "scenarios.participationstatuschange",
        "partners.historicalpartner",
    } <= sources
    suspension = next(r for r in rows if r.source.key == "partners.partnerstatuschange")
    assert (suspension.object_id, suspension.change, suspension.actor, suspension.reason) == (
        str(partner.pk),
        "Active → Suspended",
        "sam@bank.example",
        "refund spike",
    )
    assert suspension.link == f"/admin/partners/partner/{partner.pk}/change/"
    created = next(
        r for r in rows if r.source.key == "partners.historicalpartner" and r.object_id == str(partner.pk)
    )
    assert created.change == "created"
    assert created.link == f"/admin/partners/partner/{partner.pk}/history/"
    assert [r.at for r in rows] == sorted((r.at for r in rows), reverse=True)


def test_it_searches_by_actor_reason_and_record(staff_client, moves):
    partner, _participation = moves
    by_actor = _rows(staff_client.get("/staff/audit/", {"q": "olga@"}))
    # olga's decision, and her own account (named by its e-mail)
    assert {(r.source.key, r.change) for r in by_actor} == {
        ("scenarios.participationstatuschange", "Requested → Active"),
        ("portal.historicaluser", "created"),
    }
    by_reason = _rows(staff_client.get("/staff/audit/", {"q": "refund"}))
    assert [r.source.key for r in by_reason] == ["partners.partnerstatuschange"]
    by_source = _rows(
        staff_client.get("/staff/audit/", {"source": "partners.historicalpartner", "q": str(partner.pk)})
    )
    # the record by its id (and any whose name holds the number)
    assert ("partners.historicalpartner", str(partner.pk)) in {(r.source.key, r.object_id) for r in by_source}
    assert {r.source.key for r in by_source} == {"partners.historicalpartner"}


def test_the_period_excludes_older_changes(staff_client, moves):
    rows = _rows(staff_client.get("/staff/audit/", {"date_from": "2020-01-01", "date_to": "2020-01-31"}))
    assert rows == []


def test_it_pages_without_counting_the_whole_history(staff_client, moves, monkeypatch):
    monkeypatch.setattr(audit, "PAGE_SIZE", 2)
    first = staff_client.get("/staff/audit/").context["page"]
    second = staff_client.get("/staff/audit/", {"page": 2}).context["page"]
    assert first.has_next
    assert len(first.rows) == 2
    assert {(r.source.key, r.object_id, r.at) for r in first.rows}.isdisjoint(
        {(r.source.key, r.object_id, r.at) for r in second.rows}
    )


def test_the_audit_page_costs_the_same_queries_at_two_sizes(
    staff_client, moves, staff, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as ctx:
        staff_client.get("/staff/audit/")
    for n in range(20):
        partner = PartnerFactory(slug=f"more-{n}")
        PartnerStatusChange.objects.create(
            partner=partner, from_status="active", to_status="suspended", changed_by=staff, reason=f"r{n}"
        )
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert staff_client.get("/staff/audit/").status_code == 200


def test_records_are_named_by_partner_and_scenario_and_moves_by_their_labels(staff_client, moves):
    partner, participation = moves

    page = staff_client.get("/staff/audit/").content.decode()

    assert "Partner: Skyway Travel</a>" in page
    assert f"{participation.partner.display_name} · {participation.scenario.name}" in page
    assert "Active → Suspended" in page
    assert "Requested → Active" in page
    assert f"#{partner.pk}<" not in page
    assert "active → suspended" not in page


def test_the_search_finds_staff_decisions_by_partner_name(staff_client, moves):
    _partner, participation = moves

    rows = _rows(staff_client.get("/staff/audit/", {"q": "skyway trav"}))

    assert ("partners.partnerstatuschange", "Active → Suspended") in {(r.source.key, r.change) for r in rows}
    assert all("Skyway Travel" in r.name for r in rows)
    by_partner = _rows(staff_client.get("/staff/audit/", {"q": participation.partner.display_name}))
    assert "scenarios.participationstatuschange" in {r.source.key for r in by_partner}
