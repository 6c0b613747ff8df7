"""Staff pages of consents (PIPL): purposes edited on drafts only, shown in words on published
versions and to partners; consents read-only in the admin; a transaction shows the consent in
force when it occurred."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from scenarios import services
from scenarios.models import Consent, ConsentScenario, Scenario
from tests.factories import IndustryFactory, StaffFactory
from tests.scenarios.test_admin import _scenario_form

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return manager


def test_staff_declare_purposes_on_a_new_draft(client, staff):
    data = _scenario_form(
        IndustryFactory(code="travel"), [], data_purposes=["marketing", "offer_personalisation"]
    )
    response = client.post(reverse("admin:scenarios_scenario_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Scenario.objects.get(code="travel-finance").data_purposes == ["offer_personalisation", "marketing"]


def test_an_unknown_purpose_is_named_on_the_form(client, staff):
    data = _scenario_form(IndustryFactory(code="travel"), [], data_purposes=["selling_data"])
    response = client.post(reverse("admin:scenarios_scenario_add"), data)
    assert response.status_code == 200
    assert "data_purposes" in response.context["adminform"].form.errors
    assert not Scenario.objects.exists()


def test_a_draft_page_offers_the_purposes_as_choices(client, staff, draft):
    page = client.get(reverse("admin:scenarios_scenario_change", args=[draft.pk])).content.decode()
    assert 'name="data_purposes" value="credit_pre_assessment"' in page


def test_a_published_version_shows_its_purposes_in_words_and_cannot_change_them(client, staff, published):
    Scenario.objects.filter(pk=published.pk).update(data_purposes=["credit_pre_assessment"])
    url = reverse("admin:scenarios_scenario_change", args=[published.pk])
    page = client.get(url).content.decode()
    assert "Credit pre-assessment" in page
    assert 'name="data_purposes"' not in page
    response = client.post(url, _scenario_form(published.industry, [], data_purposes=["marketing"]))
    assert response.status_code == 403
    assert Scenario.objects.get(pk=published.pk).data_purposes == ["credit_pre_assessment"]


def test_the_purposes_have_chinese_labels(published):
    published.data_purposes = ["offer_personalisation", "data_sharing_with_partner"]
    with translation.override("zh-hans"):
        labels = published.data_purpose_labels
    assert all(not label.isascii() for label in labels), labels


def test_partners_see_the_purposes_next_to_the_data_use_text(client, joined, partner):
    from partners.models import Membership

    Scenario.objects.filter(pk=joined.scenario.pk).update(
        data_purposes=["offer_personalisation", "marketing"]
    )
    owner = Membership.objects.filter(partner=partner).first()
    if owner is None:
        from tests.factories import MembershipFactory, UserFactory

        owner = MembershipFactory(
            partner=partner, user=UserFactory(email="alice@skyway.example"), role="owner"
        )
    client.force_login(owner.user)
    page = client.get(f"/portal/scenarios/{joined.scenario.code}/").content.decode()
    assert 'id="data-purposes"' in page
    assert "Offer personalisation, Marketing" in page


# -- consents in the admin ------------------------------------------------------------------
@pytest.fixture
def recorded(partner):
    consent = Consent.objects.create(
        partner=partner,
        consent_id="cns-7",
        customer_ref="ref-c1",
        purposes=["offer_personalisation"],
        granted_at=datetime(2026, 1, 5, 9, 30, tzinfo=SHANGHAI),
        first_seen_at=datetime(2026, 1, 6, tzinfo=SHANGHAI),
        last_seen_at=datetime(2026, 1, 6, tzinfo=SHANGHAI),
    )
    ConsentScenario.objects.create(
        consent=consent, scenario_code="travel-finance", first_seen_at=consent.first_seen_at
    )
    return consent


def test_consents_are_read_only_in_the_admin_and_filter_by_scenario(client, staff, recorded):
    listing = client.get(reverse("admin:scenarios_consent_changelist"), {"scenario": "travel-finance"})
    assert listing.status_code == 200
    assert "cns-7" in listing.content.decode()
    empty = client.get(reverse("admin:scenarios_consent_changelist"), {"scenario": "community-finance"})
    assert "cns-7" not in empty.content.decode()
    page = client.get(reverse("admin:scenarios_consent_change", args=[recorded.pk])).content.decode()
    assert "travel-finance" in page
    assert "Offer personalisation" in page
    assert client.get(reverse("admin:scenarios_consent_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:scenarios_consent_delete", args=[recorded.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Consent.objects.filter(pk=recorded.pk).exists()


def test_a_transaction_page_shows_the_consent_in_force_when_it_occurred(admin_client, partner, recorded):
    from tests.console.factories import ledger_row
    from tests.revenue.factories import scenario_with_products

    scenario, (installment, _cover) = scenario_with_products()
    sale = ledger_row(
        partner, scenario, installment, when=datetime(2026, 2, 1, tzinfo=SHANGHAI), customer="c1"
    )
    before = ledger_row(
        partner, scenario, installment, when=datetime(2026, 1, 1, tzinfo=SHANGHAI), customer="c1"
    )
    anonymous = ledger_row(partner, scenario, installment, when=datetime(2026, 2, 1, tzinfo=SHANGHAI))

    def consent_shown(row) -> bool:
        page = admin_client.get(reverse("admin:revenue_transaction_change", args=[row.pk])).content.decode()
        return reverse("admin:scenarios_consent_change", args=[recorded.pk]) in page

    assert consent_shown(sale)
    assert not consent_shown(before)
    assert not consent_shown(anonymous)
    Consent.objects.filter(pk=recorded.pk).update(withdrawn_at=datetime(2026, 1, 20, tzinfo=SHANGHAI))
    assert not consent_shown(sale)


def test_auditors_may_export_consents_product_managers_may_not(staff_roles):
    from portal import roles

    auditor, pm = StaffFactory(email="a@bank.example"), StaffFactory(email="p@bank.example")
    auditor.groups.add(staff_roles[roles.AUDITORS])
    pm.groups.add(staff_roles[roles.PRODUCT_MANAGERS])
    assert auditor.has_perm("scenarios.export_consent")
    assert auditor.has_perm("scenarios.view_consent")
    assert pm.has_perm("scenarios.view_consent")
    assert not pm.has_perm("scenarios.export_consent")


def test_a_consent_sent_without_a_customer_is_withdrawn_with_an_empty_reference_never_before_its_grant(
    partner, recorded
):
    Consent.objects.filter(pk=recorded.pk).update(customer_ref="")
    early = recorded.granted_at - timedelta(minutes=1)  # a partner's clock ahead of ours
    withdrawn = services.consent_withdraw(partner=partner, customer_id="", consent_id="cns-7", now=early)
    assert withdrawn.withdrawn_at == recorded.granted_at
