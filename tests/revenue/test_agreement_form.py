"""The agreement form of a finance maker: partner and scenario by name, terms as fields stored
as the same terms object, and a worked example priced by settlement's own arithmetic."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from revenue import services
from revenue.admin.agreement_forms import worked_example
from revenue.models import Agreement
from revenue.terms import terms_in_words

pytestmark = pytest.mark.django_db

ADD = "admin:revenue_agreement_add"


def post(partner, scenario, **terms):
    return {
        "partner": partner.pk,
        "scenario": scenario.pk,
        "cycle": "monthly",
        "effective_from": "2026-01-01",
        "effective_to": "",
        "supersedes": "",
        "example_gross": "1000000.00",
        "example_count": "1000",
        **terms,
    }


def test_the_add_form_offers_partners_and_scenarios_by_name(client, maker, partner, scenario):
    client.force_login(maker)

    page = client.get(reverse(ADD)).content.decode()

    assert f'<option value="{partner.pk}">Skyway Travel</option>' in page
    assert f"{scenario.name} (version {scenario.version})" in page
    assert 'name="rate_percent"' in page
    assert 'name="tier_1_up_to"' in page
    assert 'name="amount"' in page
    assert 'name="terms"' not in page
    assert "vManyToManyRawIdAdminField" not in page
    assert "vForeignKeyRawIdAdminField" not in page


@pytest.mark.parametrize(
    ("model", "fields", "stored"),
    [
        ("percentage", {"rate_percent": "30.00"}, {"rate": "0.300000"}),
        ("percentage", {"rate_percent": "12.3456"}, {"rate": "0.123456"}),
        ("fixed_per_transaction", {"amount": "2.50"}, {"amount": "2.50"}),
        (
            "tiered",
            {"tier_1_up_to": "100000.00", "tier_1_rate": "20", "tier_2_up_to": "", "tier_2_rate": "30"},
            {"tiers": [{"up_to": "100000.00", "rate": "0.200000"}, {"up_to": None, "rate": "0.300000"}]},
        ),
    ],
)
def test_terms_typed_as_fields_are_stored_as_the_same_terms_object(
    client, maker, partner, scenario, joined, model, fields, stored
):
    client.force_login(maker)

    # Boxes of another model are ignored: only the chosen model's terms are kept.
    data = post(partner, scenario, model=model, **{"rate_percent": "99", "amount": "7.00", **fields})

    response = client.post(reverse(ADD), data)

    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert (agreement.model, agreement.terms, agreement.created_by) == (model, stored, maker)


@pytest.mark.parametrize(
    ("model", "fields", "field", "message"),
    [
        ("percentage", {}, "rate_percent", "Give the share rate in percent."),
        ("percentage", {"rate_percent": "101"}, "rate_percent", "less than or equal to 100"),
        ("fixed_per_transaction", {"amount": "0"}, "amount", "greater than or equal to 0.01"),
        (
            "tiered",
            {
                "tier_1_up_to": "500.00",
                "tier_1_rate": "10",
                "tier_2_up_to": "400.00",
                "tier_2_rate": "20",
                "tier_3_rate": "30",
            },
            "tier_2_up_to",
            "Each band must end above the one before (500.00 CNY).",
        ),
        (
            "tiered",
            {"tier_1_up_to": "500.00", "tier_1_rate": "10"},
            "tier_1_up_to",
            "Leave “up to” empty on the last band",
        ),
        ("tiered", {"tier_1_up_to": "500.00"}, "tier_1_rate", "Give this band"),
    ],
)
def test_bad_terms_are_refused_on_their_field_and_nothing_is_stored(
    client, maker, partner, scenario, joined, model, fields, field, message
):
    client.force_login(maker)

    response = client.post(reverse(ADD), post(partner, scenario, model=model, **fields))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert not Agreement.objects.exists()


@pytest.mark.parametrize(
    ("model", "fields", "share"),
    [
        ("percentage", {"rate_percent": "2.5"}, "25000.00"),
        ("fixed_per_transaction", {"amount": "0.35"}, "350.00"),
        # 100,000 at 10 % and the other 900,000.01 at 20 %: 10,000 + 180,000.002 = 190,000.00
        (
            "tiered",
            {"tier_1_up_to": "100000.00", "tier_1_rate": "10", "tier_2_rate": "20"},
            "190000.00",
        ),
    ],
)
def test_the_worked_example_shows_the_share_of_a_sample_month_and_saves_nothing(
    client, maker, partner, scenario, joined, model, fields, share
):
    client.force_login(maker)
    data = post(partner, scenario, model=model, _preview="1", **fields)
    data["example_gross"] = "1000000.01"

    response = client.post(reverse(ADD), data)

    assert response.status_code == 200
    example = response.context["adminform"].form.example
    assert example["share"] == Decimal(share)
    assert f"<strong>{share} CNY</strong>" in response.content.decode()
    assert not Agreement.objects.exists()


def test_the_worked_example_is_priced_like_a_settled_line():
    terms = {"tiers": [{"up_to": "1000.00", "rate": "0.100000"}, {"up_to": None, "rate": "0.333333"}]}
    # 100 + 0.333333 × 234.57 = 178.1899... → 178.19 (half up, to the fen, once)
    assert worked_example(model="tiered", terms=terms, gross=Decimal("1234.57"), count=3) == Decimal("178.19")
    assert (
        terms_in_words("tiered", terms)
        == "up to 1,000.00\N{NO-BREAK SPACE}CNY: 10.00\N{NO-BREAK SPACE}%; above: 33.3333\N{NO-BREAK SPACE}%"
    )


def test_a_draft_shows_its_terms_as_fields_and_an_edit_stores_the_terms_object(
    client, maker, partner, scenario, joined
):
    agreement = services.agreement_create(
        actor=maker,
        partner=partner,
        scenario=scenario,
        model="percentage",
        terms={"rate": "0.3"},
        cycle="monthly",
        effective_from=date(2026, 1, 1),
    )
    client.force_login(maker)
    url = reverse("admin:revenue_agreement_change", args=[agreement.pk])

    page = client.get(url).content.decode()
    assert 'name="rate_percent" value="30.00"' in page
    assert "<strong>300000.00 CNY</strong>" in page  # 30 % of the example month's 1,000,000.00

    client.post(
        url,
        {
            "model": "percentage",
            "rate_percent": "15",
            "cycle": "monthly",
            "currency": "CNY",
            "effective_from": "2026-01-01",
            "effective_to": "",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    agreement.refresh_from_db()
    assert agreement.terms == {"rate": "0.150000"}
