"""The agreements pages: the partner reads its agreements' terms in words with a worked example,
an owner or finance member accepts or declines a sent one, a viewer reads only, a developer does
not see them, another partner's agreement and the bank's drafts are a 404, the dashboard says
what waits, query counts stay fixed, and the pages read in English and Chinese."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from revenue import services
from revenue.models import Agreement
from tests.revenue.factories import finance_staff, scenario_with_products

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def staff(staff_roles):
    return (
        finance_staff(staff_roles, "maker@bank.test", "Finance makers"),
        finance_staff(staff_roles, "checker@bank.test", "Finance checkers"),
    )


@pytest.fixture
def scenario(db):
    return scenario_with_products()[0]


def make(staff, partner, scenario, *, send=True, **overrides) -> Agreement:
    maker, checker = staff
    fields = {
        "model": "percentage",
        "terms": {"rate": "0.015"},
        "cycle": "monthly",
        "effective_from": date(2026, 1, 1),
    }
    fields.update(overrides)
    agreement = services.agreement_create(actor=maker, partner=partner, scenario=scenario, **fields)
    if send:
        services.agreement_submit(agreement=agreement, actor=maker)
        agreement = services.agreement_approve(agreement=agreement, actor=checker)
    return agreement


@pytest.fixture
def sent(staff, acme, scenario):
    return make(staff, acme, scenario)


def accept(client, agreement, **data):
    return client.post(
        reverse("portal:agreement-accept", args=[agreement.pk]),
        {"terms_sha256": agreement.terms_sha256, "confirm": "on", **data},
    )


def test_finance_reads_the_terms_in_words_with_a_worked_example(client, fiona, sent):
    client.force_login(fiona)

    listing = client.get(reverse("portal:agreements")).content.decode()
    page = client.get(reverse("portal:agreement", args=[sent.pk])).content.decode()

    assert f"Percentage of the amount: 1.50{NBSP}%" in listing
    assert "Sent for acceptance" in listing
    assert f"On 10,000.00{NBSP}CNY of sales in a period you receive 150.00{NBSP}CNY (1.50{NBSP}%)." in page
    assert sent.terms_sha256 in page
    assert 'id="accept-form"' in page
    assert 'id="decline-form"' in page


def test_tiered_terms_are_worked_out_band_by_band_in_exact_money(client, fiona, staff, acme, scenario):
    terms = {
        "tiers": [
            {"up_to": "1000.00", "rate": "0.123457"},
            {"up_to": "5000.00", "rate": "0.2"},
            {"up_to": None, "rate": "0.25"},
        ]
    }
    agreement = make(staff, acme, scenario, model="tiered", terms=terms)
    client.force_login(fiona)

    page = client.get(reverse("portal:agreement", args=[agreement.pk])).content.decode()

    # 6,000.00 of sales: 1,000.00 × 12.3457 % = 123.457 → 123.46; 4,000.00 × 20 % = 800.00;
    # 1,000.00 × 25 % = 250.00. The total is rounded once: 1,173.457 → 1,173.46, no rounding step.
    assert f"On 6,000.00{NBSP}CNY of sales in a period you receive 1,173.46{NBSP}CNY" in page
    assert f"12.3457{NBSP}% of the 1,000.00{NBSP}CNY from 0.00{NBSP}CNY to 1,000.00{NBSP}CNY" in page
    assert f"123.46{NBSP}CNY" in page
    assert f"20.00{NBSP}% of the 4,000.00{NBSP}CNY from 1,000.00{NBSP}CNY to 5,000.00{NBSP}CNY" in page
    assert f"800.00{NBSP}CNY" in page
    assert f"250.00{NBSP}CNY" in page
    assert "rounding" not in page


def test_a_rounding_step_keeps_the_bands_adding_up_to_the_total():
    from decimal import Decimal

    from revenue.terms import worked_example

    terms = {"tiers": [{"up_to": "1.00", "rate": "0.005"}, {"up_to": None, "rate": "0.005"}]}
    example = worked_example("tiered", terms)

    # 2.00 of sales: 0.005 + 0.005 = 0.01 in total; each band alone rounds to 0.01.
    assert example.share == Decimal("0.01")
    assert [step.amount for step in example.steps] == [Decimal("0.01"), Decimal("0.01"), Decimal("-0.01")]
    assert sum(step.amount for step in example.steps) == example.share


@pytest.mark.parametrize("who", ["alice", "fiona"])
def test_an_owner_or_finance_member_accepts_in_the_portal(request, client, sent, who):
    member = request.getfixturevalue(who)
    client.force_login(member)

    response = accept(client, sent)

    assert response.status_code == 302, response.content.decode()[-3000:]
    sent.refresh_from_db()
    assert (sent.status, sent.accepted_by, sent.acceptance) == ("active", member, "portal")
    page = client.get(response["Location"]).content.decode()
    assert f"Accepted in the portal by {member.email}" in page
    assert 'id="accept-form"' not in page


def test_accepting_without_ticking_the_box_or_with_other_terms_is_refused(client, fiona, sent):
    client.force_login(fiona)

    unticked = client.post(
        reverse("portal:agreement-accept", args=[sent.pk]), {"terms_sha256": sent.terms_sha256}
    )
    unseen = accept(client, sent, terms_sha256="f" * 64)

    assert unticked.status_code == unseen.status_code == 400
    assert "This field is required." in unticked.content.decode()
    assert "These terms are not the ones the bank sent" in unseen.content.decode()
    assert Agreement.objects.get(pk=sent.pk).status == "sent"


def test_a_member_declines_with_a_reason(client, alice, sent):
    client.force_login(alice)

    empty = client.post(reverse("portal:agreement-decline", args=[sent.pk]), {"reason": ""})
    response = client.post(reverse("portal:agreement-decline", args=[sent.pk]), {"reason": "Rate too low."})

    assert empty.status_code == 400
    assert response.status_code == 302
    assert Agreement.objects.get(pk=sent.pk).status == "declined"
    page = client.get(reverse("portal:agreement", args=[sent.pk])).content.decode()
    assert "Declined by the partner" in page
    assert "Rate too low." in page


def test_a_viewer_reads_but_cannot_accept_and_a_developer_does_not_see_agreements(client, victor, bob, sent):
    client.force_login(victor)
    page = client.get(reverse("portal:agreement", args=[sent.pk])).content.decode()
    assert "Only an owner or a finance member of your team can accept or decline it." in page
    assert 'id="accept-form"' not in page
    assert accept(client, sent).status_code == 403
    assert (
        client.post(reverse("portal:agreement-decline", args=[sent.pk]), {"reason": "x"}).status_code == 403
    )

    client.force_login(bob)
    assert client.get(reverse("portal:agreements")).status_code == 403
    assert accept(client, sent).status_code == 403
    assert Agreement.objects.get(pk=sent.pk).status == "sent"


def test_an_admin_reads_but_only_owners_and_finance_accept(client, acme, sent):
    from tests.portal.conftest import member

    admin = member(acme, "adam@acme.test", "admin")
    client.force_login(admin)

    assert client.get(reverse("portal:agreement", args=[sent.pk])).status_code == 200
    assert accept(client, sent).status_code == 403


def test_another_partners_agreement_and_the_banks_drafts_are_not_found(
    client, charlie, alice, staff, sent, acme
):
    client.force_login(charlie)
    assert client.get(reverse("portal:agreement", args=[sent.pk])).status_code == 404
    assert accept(client, sent).status_code == 404
    assert (
        client.post(reverse("portal:agreement-decline", args=[sent.pk]), {"reason": "x"}).status_code == 404
    )
    assert Agreement.objects.get(pk=sent.pk).status == "sent"

    other_scenario = scenario_with_products(code="mall-finance", products=("mall-card",))[0]
    draft = make(staff, acme, other_scenario, send=False)
    client.force_login(alice)
    assert client.get(reverse("portal:agreement", args=[draft.pk])).status_code == 404
    listing = client.get(reverse("portal:agreements")).content.decode()
    assert f'id="agreement-{sent.pk}"' in listing
    assert f'id="agreement-{draft.pk}"' not in listing


def test_the_dashboard_says_an_agreement_awaits_acceptance_and_the_nav_links_to_them(
    client, fiona, bob, sent
):
    client.force_login(fiona)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "1 agreement awaits your acceptance" in page
    assert f'href="{reverse("portal:agreements")}"' in page

    client.force_login(bob)  # developers do not see agreements
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "awaits your acceptance" not in page


@pytest.mark.parametrize("size", [1, 5])
def test_the_agreement_pages_cost_the_same_queries_whatever_the_data(
    client, fiona, staff, acme, django_assert_num_queries, size
):
    agreements = []
    for n in range(size):
        scenario = scenario_with_products(code=f"scenario-{n}", products=(f"product-{n}",))[0]
        agreement = make(staff, acme, scenario)
        agreements.append(agreement)
        if n % 2:
            services.agreement_decline(agreement=agreement, actor=fiona, reason="no")
    client.force_login(fiona)

    # session, user, memberships, agreements with their scenarios, the bell
    with django_assert_num_queries(5):
        assert client.get(reverse("portal:agreements")).status_code == 200
    # session, user, memberships, the agreement, its history, the bell
    with django_assert_num_queries(6):
        assert client.get(reverse("portal:agreement", args=[agreements[-1].pk])).status_code == 200


def test_the_agreement_pages_read_in_chinese(client, fiona, sent):
    client.force_login(fiona)

    listing = client.get(reverse("portal:agreements"), **CHINESE).content.decode()
    page = client.get(reverse("portal:agreement", args=[sent.pk]), **CHINESE).content.decode()

    assert "协议" in listing
    assert "待接受" in listing
    assert "接受协议" in page
    assert "您将获得" in page
    assert "Accept the agreement" not in page
