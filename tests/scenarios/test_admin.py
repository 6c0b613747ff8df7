"""The scenario staff pages: compose with inline items, see what blocks publishing, preview
offers, publish / edit / clone / retire through the services, decide on participation."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from products import services as product_services
from scenarios import services
from scenarios.models import BundleItem, Participation, Scenario, ScenarioStatusChange
from tests.factories import IndustryFactory, PartnerFactory, StaffFactory
from tests.products.factories import ProductFactory
from tests.scenarios.factories import BundleItemFactory, ParticipationFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:scenarios_scenario_changelist"


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return manager


def _inline(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def _scenario_form(industry, items: list[dict], **overrides) -> dict:
    data = {
        "code": "travel-finance",
        "name": "Travel+Finance",
        "industry": str(industry.pk),
        "trigger_events": "booking.created, booking.paid",
        "data_shared": "Booking amount and segment.",
        "data_purpose": "To price the offers.",
        **_inline("items", items),
        **_inline("status_changes", []),
    }
    data.update(overrides)
    return data


def _item(product, position, role="primary", **extra) -> dict:
    row = {"position": str(position), "product": str(product.pk), "role": role, "rate_adjustment": "0",
           "fee_waiver": "0", "reward_kind": ""}  # fmt: skip
    row.update(extra)
    return row


def test_staff_compose_a_draft_with_inline_items(client, staff, installment, insurance):
    data = _scenario_form(
        IndustryFactory(code="travel"),
        [_item(installment, 1, reward_kind="cashback", reward_rate="0.01", reward_cap="50"),
         _item(insurance, 2, role="cross_sell")],
    )  # fmt: skip

    response = client.post(reverse("admin:scenarios_scenario_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    scenario = Scenario.objects.get(code="travel-finance")
    assert (scenario.version, scenario.status, scenario.created_by) == (1, "draft", staff)
    assert scenario.trigger_events == ["booking.created", "booking.paid"]
    assert list(scenario.items.values_list("product__code", "reward_kind")) == [
        ("trip-installment", "cashback"),
        ("trip-cover", ""),
    ]


def test_an_override_beyond_the_products_bounds_is_shown_and_nothing_saved(client, staff, installment):
    data = _scenario_form(
        IndustryFactory(code="travel"), [_item(installment, 1, rate_adjustment="-0.090000")]
    )

    response = client.post(reverse("admin:scenarios_scenario_add"), data)

    assert response.status_code == 200
    assert "would leave the product" in response.content.decode()
    assert not Scenario.objects.exists()


def test_the_same_product_twice_is_shown_on_the_inline(client, staff, installment):
    data = _scenario_form(IndustryFactory(code="travel"), [_item(installment, 1), _item(installment, 2)])

    response = client.post(reverse("admin:scenarios_scenario_add"), data)

    assert "already in the bundle" in response.content.decode()
    assert not Scenario.objects.exists()


def test_the_draft_page_lists_what_blocks_publishing(client, staff, manager):
    scenario = ScenarioFactory(status="draft", data_purpose="")

    page = client.get(reverse("admin:scenarios_scenario_change", args=[scenario.pk])).content.decode()

    assert "Declare why the bank needs that data." in page
    assert "Add at least one product." in page


def test_a_published_version_is_read_only_in_the_admin(client, staff, published):
    url = reverse("admin:scenarios_scenario_change", args=[published.pk])

    page = client.get(url)
    response = client.post(url, _scenario_form(published.industry, [], name="Renamed"))

    assert page.status_code == 200
    assert response.status_code == 403
    assert Scenario.objects.get(pk=published.pk).name == published.name


def test_a_retired_product_warns_on_the_page_and_in_the_list(client, staff, published, insurance, manager):
    product_services.product_retire(product=insurance, actor=manager)

    page = client.get(reverse("admin:scenarios_scenario_change", args=[published.pk])).content.decode()
    listing = client.get(reverse(CHANGELIST)).content.decode()

    assert "trip-cover is retired" in page.lower()  # the admin capitalises messages
    assert "1 retired product" in listing


def test_preview_shows_the_offers_and_schedule_the_engine_returns(client, staff, draft):
    url = reverse("admin:scenarios_scenario_preview", args=[draft.pk])

    response = client.get(url, {"event": "booking.created", "amount": "10000.00", "currency": "CNY",
                                "tenor_months": "12"})  # fmt: skip

    page = response.content.decode()
    assert response.status_code == 200
    assert [shown["product"] for _offer, shown, _words in response.context["offers"]] == [
        "trip-installment",
        "trip-cover",
    ]
    # Names and labels on the page, not codes.
    assert [words["product"] for _offer, _shown, words in response.context["offers"]] == [
        "Trip Installment",
        "Trip Cover",
    ]
    assert "trip-installment" not in page
    assert "annual_rate" not in page
    assert "888.49" in page  # 10,000.00 at 12 % over 12 months (worked by hand in test_schedules)
    assert "50.00" in page  # the premium: 10,000.00 × 0.005
    assert "12.00\N{NO-BREAK SPACE}%" in page  # the annual rate as a percentage, not 0.120000
    assert Scenario.objects.get(pk=draft.pk).quote_days.count() == 0  # a preview is not counted


def test_preview_names_the_field_the_engine_refuses(client, staff, draft):
    url = reverse("admin:scenarios_scenario_preview", args=[draft.pk])

    response = client.get(url, {"event": "booking.created", "amount": "1000.00", "currency": "CNY",
                                "tenor_months": "24"})  # fmt: skip

    assert response.context["form"].errors["tenor_months"] == [
        "This scenario offers tenors of 3, 6, 12 months."
    ]
    assert not response.context["offers"]


def test_the_publish_action_publishes_or_says_why_not(client, staff, draft):
    empty = ScenarioFactory(code="empty", status="draft")

    response = client.post(
        reverse(CHANGELIST), {"action": "publish", "_selected_action": [draft.pk, empty.pk]}, follow=True
    )

    shown = [str(message) for message in response.context["messages"]]
    assert Scenario.objects.get(pk=draft.pk).status == "published"
    assert Scenario.objects.get(pk=empty.pk).status == "draft"
    assert shown == ["empty v1: Add at least one product.", "1 scenario published."]
    assert ScenarioStatusChange.objects.filter(scenario=draft, changed_by=staff).exists()


def test_the_edit_action_opens_the_next_draft_version(client, staff, published):
    response = client.post(reverse(CHANGELIST), {"action": "new_version", "_selected_action": [published.pk]})

    draft = Scenario.objects.get(code=published.code, version=2)
    assert response["Location"] == reverse("admin:scenarios_scenario_change", args=[draft.pk])
    assert draft.items.count() == 2


def test_the_clone_page_makes_a_new_draft_for_another_industry(client, staff, published):
    community = IndustryFactory(code="community")

    response = client.post(
        reverse("admin:scenarios_scenario_clone", args=[published.pk]),
        {"code": "community-finance", "name": "Community+Finance", "industry": community.pk},
    )

    clone = Scenario.objects.get(code="community-finance")
    assert response.status_code == 302
    assert (clone.industry, clone.status, clone.items.count()) == (community, "draft", 2)


def test_retiring_asks_for_a_reason_then_goes_through_the_service(client, staff, joined, published):
    url = reverse(CHANGELIST)
    confirm = client.post(url, {"action": "retire", "_selected_action": [published.pk]})
    refused = client.post(
        url,
        {"action": "retire", "_selected_action": [published.pk], "apply": "1", "reason": "replaced"},
        follow=True,
    )
    assert "Retire scenario versions" in confirm.content.decode()
    assert "still active" in refused.content.decode()
    assert Scenario.objects.get(pk=published.pk).status == "published"

    client.post(url, {"action": "retire", "_selected_action": [published.pk], "apply": "1", "reason": "replaced",
                      "end_participations": "on"})  # fmt: skip

    assert Scenario.objects.get(pk=published.pk).status == "retired"
    assert Participation.objects.get(pk=joined.pk).status == "ended"


def test_auditors_cannot_publish(client, staff_roles, draft):
    auditor = StaffFactory(email="auditor@bank.example")
    auditor.groups.add(staff_roles["Auditors"])
    client.force_login(auditor)

    client.post(reverse(CHANGELIST), {"action": "publish", "_selected_action": [draft.pk]})

    assert Scenario.objects.get(pk=draft.pk).status == "draft"


def test_adding_a_participation_invites_the_partner(client, staff, published, partner):
    response = client.post(
        reverse("admin:scenarios_participation_add"),
        {"partner": partner.pk, "scenario": published.pk, "channel": "app", "note": "come aboard",
         **_inline("status_changes", [])},
    )  # fmt: skip

    assert response.status_code == 302
    participation = Participation.objects.get()
    assert (participation.status, participation.requested_by) == ("invited", staff)
    assert participation.status_changes.get().to_status == "invited"


def test_the_approve_action_activates_requests(client, staff, published, partner):
    requested = services.participation_request(partner=partner, scenario=published)

    client.post(
        reverse("admin:scenarios_participation_changelist"),
        {"action": "approve", "_selected_action": [requested.pk]},
    )

    assert Participation.objects.get(pk=requested.pk).status == "active"


@pytest.mark.parametrize("size", [2, 20])
def test_the_scenario_list_costs_the_same_at_any_size(client, staff, django_assert_num_queries, size):
    for n in range(size):
        scenario = ScenarioFactory()
        BundleItemFactory(scenario=scenario, product=ProductFactory(status="retired" if n % 2 else "active"))
        ParticipationFactory(scenario=scenario)
    url = reverse(CHANGELIST)
    client.get(url)

    with django_assert_num_queries(8):
        response = client.get(url)

    assert response.context["cl"].result_count == size


@pytest.mark.parametrize("size", [2, 20])
def test_the_participation_list_costs_the_same_at_any_size(client, staff, django_assert_num_queries, size):
    for _ in range(size):
        ParticipationFactory(partner=PartnerFactory())
    url = reverse("admin:scenarios_participation_changelist")
    client.get(url)

    with django_assert_num_queries(8):
        response = client.get(url)

    assert response.context["cl"].result_count == size


def test_bundle_items_of_a_published_version_cannot_change_in_the_admin(client, staff, published):
    item = published.items.first()
    url = reverse("admin:scenarios_scenario_change", args=[published.pk])

    client.post(url, _scenario_form(published.industry, [], **{"items-INITIAL_FORMS": "1"}))

    assert BundleItem.objects.get(pk=item.pk).rate_adjustment == item.rate_adjustment


def test_retiring_a_product_says_which_published_scenarios_stop_offering_it(
    client, staff, published, insurance
):
    product_page = client.get(reverse("admin:products_product_change", args=[insurance.pk])).content.decode()

    response = client.post(
        reverse("admin:products_product_changelist"),
        {"action": "retire", "_selected_action": [insurance.pk]},
        follow=True,
    )

    assert "travel-finance v1 (published)" in product_page
    assert [str(m) for m in response.context["messages"]] == [
        "1 product retired.",
        "trip-cover is in 1 published scenario, which no longer offers it.",
    ]


# APR: an item that would price some offers above its ceiling by APR saves, with a warning.
def _add(client, product, **item):
    data = _scenario_form(IndustryFactory(code="travel"), [_item(product, 1, **item)])
    return client.post(reverse("admin:scenarios_scenario_add"), data, follow=True)


def test_an_item_priced_at_its_ceiling_for_tiny_loans_is_saved_with_the_worst_apr_shown(client, staff):
    # At a nominal 36 %, half-up interest on 3.50 over 3 months costs 37.33 % a year by IRR.
    loan = ProductFactory(
        code="tiny-loan", rate=D("0.300000"), rate_floor=D("0.100000"), rate_ceiling=D("0.360000"),
        min_amount=D("3.00"), max_amount=D("5000.00"), tenor_months=[3],
    )  # fmt: skip

    response = _add(client, loan, rate_adjustment="0.060000")

    page = response.content.decode()
    assert Scenario.objects.get().items.get().rate_adjustment == D("0.060000")
    warning = (
        "The annualised rate (APR) of tiny-loan reaches 37.33 % at its highest price here, "
        "for 3.50 CNY over 3 months, above its ceiling of 36.00 %."
    )
    assert warning in page
    # …and again whenever the scenario's page is opened.
    scenario = Scenario.objects.get()
    again = client.get(reverse("admin:scenarios_scenario_change", args=[scenario.pk]))
    assert warning in again.content.decode()


def test_an_item_well_within_its_ceiling_saves_without_a_warning(client, staff):
    loan = ProductFactory(code="fair-loan", rate=D("0.120000"), min_amount=D("500.00"))

    response = _add(client, loan)

    assert Scenario.objects.get().items.count() == 1
    assert "annualised rate (APR)" not in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "rate_adjustment",
            "0.500000",
            "Bundle rate adjustment must be between -36.00 % and 36.00 %. No quoted rate may move by "
            "more than the legal cap of 36.00 %.",
        ),
        ("fee_waiver", "1.500000", "Fee waiver must be between 0.00 % and 100.00 %."),
        ("reward_cap", "-1", "Reward cap cannot be below 0."),
    ],
)
def test_an_item_beyond_a_database_bound_names_the_field_and_the_bound_never_the_constraint(
    client, staff, installment, field, value, message
):
    extra = {"reward_kind": "cashback", "reward_rate": "0.01"} if field == "reward_cap" else {}
    data = _scenario_form(IndustryFactory(code="travel"), [_item(installment, 1, **{field: value, **extra})])

    response = client.post(reverse("admin:scenarios_scenario_add"), data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Constraint" not in page
    assert "bundle_item_" not in page
    item_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert item_form.errors[field] == [message]
    assert not Scenario.objects.exists()


def test_a_bound_of_the_product_is_said_in_percent(client, staff, installment):
    data = _scenario_form(
        IndustryFactory(code="travel"), [_item(installment, 1, rate_adjustment="-0.090000")]
    )

    page = client.post(reverse("admin:scenarios_scenario_add"), data).content.decode()

    assert f"would leave the product&#x27;s bounds {installment.rate_floor * 100:.2f} %" in page


def test_a_taken_code_is_refused_on_its_field_not_as_a_constraint(client, staff, published):
    data = _scenario_form(published.industry, [], code=published.code)

    response = client.post(reverse("admin:scenarios_scenario_add"), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["code"] == [
        f"The code “{published.code}” is taken by another scenario: choose another, or make the next "
        "version of that one."
    ]
    assert "Constraint" not in response.content.decode()


@pytest.mark.parametrize(
    ("view", "words"),
    [
        ("admin:scenarios_scenario_preview", "Previewing offers needs the permission “Can view scenario”"),
        ("admin:scenarios_scenario_clone", "Copying a scenario needs the permission “Can add scenario”"),
    ],
)
def test_a_scenario_page_names_the_missing_permission(client, draft, view, words):
    client.force_login(StaffFactory(email="intern@bank.example"))

    response = client.get(reverse(view, args=[draft.pk]))

    assert response.status_code == 403
    assert words in response.content.decode()
