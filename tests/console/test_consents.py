"""Staff list customers' consents (PIPL) by partner, scenario and state, and export them for an
audit (CSV, XLSX without live formulas), at a fixed query count; partners never see them."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from core.secrets import customer_reference
from portal import roles
from scenarios.models import Consent, ConsentScenario
from tests.factories import PartnerFactory, StaffFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
GRANTED = datetime(2026, 1, 5, 9, 30, tzinfo=SHANGHAI)
HOSTILE = '=HYPERLINK("http://x")'


def consent(partner, number: int, *, scenario="travel-finance", withdrawn=False, consent_id=None) -> Consent:
    row = Consent.objects.create(
        partner=partner,
        consent_id=consent_id or f"cns-{number}",
        customer_ref=customer_reference(partner_id=partner.pk, customer_id=f"cust-{number}"),
        purposes=["offer_personalisation", "marketing"],
        granted_at=GRANTED,
        withdrawn_at=GRANTED + timedelta(days=3) if withdrawn else None,
        first_seen_at=GRANTED + timedelta(minutes=number),
        last_seen_at=GRANTED + timedelta(minutes=number),
    )
    ConsentScenario.objects.create(consent=row, scenario_code=scenario, first_seen_at=row.first_seen_at)
    return row


@pytest.fixture
def skyway(db):
    return PartnerFactory(slug="skyway", display_name="Skyway Travel")


@pytest.fixture
def greenleaf(db):
    return PartnerFactory(slug="greenleaf", display_name=HOSTILE)


@pytest.fixture
def consents(skyway, greenleaf):
    return [
        consent(skyway, 1),
        consent(skyway, 2, withdrawn=True),
        consent(skyway, 3, scenario="community-finance"),
        consent(greenleaf, 4, scenario="community-finance", consent_id="@cmd"),
    ]


def ids(response) -> list[str]:
    return [c.consent_id for c in response.context["page"].object_list]


def test_staff_list_consents_newest_first_with_their_scenarios(staff_client, consents):
    response = staff_client.get("/staff/consents/")
    assert response.status_code == 200
    assert ids(response) == ["@cmd", "cns-3", "cns-2", "cns-1"]
    page = response.content.decode()
    assert "Offer personalisation, Marketing" in page
    assert "community-finance" in page
    assert "cust-1" not in page  # the clear customer id is never stored, let alone shown


def test_staff_narrow_consents_by_partner_scenario_and_state(staff_client, consents, skyway):
    def listed(**query):
        return ids(staff_client.get("/staff/consents/", query))

    assert listed(partner=skyway.pk) == ["cns-3", "cns-2", "cns-1"]
    assert listed(scenario="community-finance") == ["@cmd", "cns-3"]
    assert listed(partner=skyway.pk, scenario="travel-finance") == ["cns-2", "cns-1"]
    assert listed(state="withdrawn") == ["cns-2"]
    assert listed(state="in_force", partner=skyway.pk) == ["cns-3", "cns-1"]


def test_a_bad_filter_is_named_on_the_page_not_a_500(staff_client, consents):
    response = staff_client.get("/staff/consents/", {"partner": "abc", "state": "revived", "page": "x"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"partner", "state", "page"}


@pytest.mark.parametrize("count", [3, 60])
def test_the_consents_page_costs_the_same_queries_however_many(
    staff_client, skyway, django_assert_num_queries, count
):
    for number in range(count):
        consent(skyway, number)
    staff_client.get("/staff/consents/")  # session and user warm
    # session, user, user and group permissions (2); scenario codes for the filter; count,
    # page, its scenarios; the partner filter's choices; the unread notifications' count
    with django_assert_num_queries(10):
        response = staff_client.get("/staff/consents/", {"page": 2 if count > 50 else 1})
    assert response.status_code == 200


def test_the_csv_export_is_for_an_audit_and_never_carries_a_live_formula(staff_client, consents, greenleaf):
    response = staff_client.get("/staff/consents/", {"export": "csv", "partner": greenleaf.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert header[:5] == ["Partner", "Consent id", "Customer reference (keyed hash)", "Purposes", "Scenarios"]
    assert row[0] == "'" + HOSTILE
    assert row[1] == "'@cmd"
    assert row[2] == customer_reference(partner_id=greenleaf.pk, customer_id="cust-4")
    assert row[3] == "offer_personalisation marketing"
    assert row[4] == "community-finance"
    assert row[5] == "2026-01-05T09:30:00+08:00"
    assert row[6] == ""


def test_the_xlsx_export_has_every_consent_of_the_filter(staff_client, consents):
    response = staff_client.get("/staff/consents/", {"export": "xlsx", "state": "withdrawn"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][1] == "Consent id"
    assert [row[1] for row in rows[1:]] == ["cns-2"]
    assert rows[1][6] == "2026-01-08T09:30:00+08:00"
    assert all(not str(value).startswith("=") for row in rows for value in row if value)


def test_the_export_costs_the_same_queries_however_many(staff_client, skyway, django_assert_max_num_queries):
    for number in range(30):
        consent(skyway, number)
    staff_client.get("/staff/consents/")
    with django_assert_max_num_queries(9):
        response = staff_client.get("/staff/consents/", {"export": "xlsx"})
    assert response.status_code == 200


def test_a_staff_member_without_the_export_permission_lists_but_cannot_export(client, staff_roles, consents):
    pm = StaffFactory(email="pm@bank.example")
    pm.groups.add(staff_roles[roles.PRODUCT_MANAGERS])
    client.force_login(pm)
    page = client.get("/staff/consents/")
    assert page.status_code == 200
    assert "export=csv" not in page.content.decode()
    assert client.get("/staff/consents/", {"export": "csv"}).status_code == 403


def test_staff_without_any_role_cannot_see_consents(client, db, consents):
    client.force_login(StaffFactory(email="nobody@bank.example"))
    assert client.get("/staff/consents/").status_code == 403


def test_partners_never_reach_the_consents_page(client, alice, consents):
    client.force_login(alice)
    assert client.get("/staff/consents/").status_code == 403
    assert client.get("/staff/consents/", {"export": "csv"}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, consents):
    response = client.get("/staff/consents/")
    assert response.status_code == 302
    assert "login" in response["Location"]
