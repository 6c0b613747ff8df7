"""Agreements: terms validated naming the bad term, maker-checker, supersession without gap or
overlap, every status move recorded."""

from datetime import date

import pytest

from revenue import services
from revenue.exceptions import AgreementImmutable, AgreementInvalid, MakerCheckerViolation, RevenueNotAllowed
from revenue.models import Agreement, AgreementStatusChange
from tests.factories import StaffFactory

from .factories import agreement_in_force, partner_finance

pytestmark = pytest.mark.django_db


def draft(maker, partner, scenario, **overrides):
    fields = {
        "model": "percentage",
        "terms": {"rate": "0.3"},
        "cycle": "monthly",
        "effective_from": date(2026, 1, 1),
    }
    fields.update(overrides)
    return services.agreement_create(actor=maker, partner=partner, scenario=scenario, **fields)


@pytest.mark.parametrize(
    ("model", "terms", "field"),
    [
        ("percentage", {"rate": "1.5"}, "terms.rate"),
        ("percentage", {"rate": "abc"}, "terms.rate"),
        ("percentage", {}, "terms.rate"),
        ("percentage", {"rate": "0.1", "amount": "1"}, "terms.amount"),
        ("fixed_per_transaction", {"amount": "0"}, "terms.amount"),
        ("fixed_per_transaction", {"amount": "1.234"}, "terms.amount"),
        ("tiered", {"tiers": []}, "terms.tiers"),
        ("tiered", {"tiers": [{"up_to": "100", "rate": "0.1"}]}, "terms.tiers.0.up_to"),
        (
            "tiered",
            {"tiers": [{"up_to": None, "rate": "0.1"}, {"up_to": None, "rate": "0.2"}]},
            "terms.tiers.0.up_to",
        ),
        (
            "tiered",
            {
                "tiers": [
                    {"up_to": "500", "rate": "0.1"},
                    {"up_to": "400", "rate": "0.2"},
                    {"up_to": None, "rate": "0.3"},
                ]
            },
            "terms.tiers.1.up_to",
        ),
        ("tiered", {"tiers": [{"up_to": None, "rate": "-0.1"}]}, "terms.tiers.0.rate"),
        ("bonus", {"rate": "0.1"}, "model"),
    ],
)
def test_bad_terms_are_refused_naming_the_term(maker, partner, scenario, model, terms, field):
    with pytest.raises(AgreementInvalid) as error:
        draft(maker, partner, scenario, model=model, terms=terms)

    assert error.value.field == field
    assert Agreement.objects.count() == 0


def test_terms_are_normalised_to_six_place_rates_and_fen(maker, partner, scenario):
    tiered = draft(
        maker,
        partner,
        scenario,
        model="tiered",
        terms={"tiers": [{"up_to": "1000", "rate": "0.1"}, {"up_to": None, "rate": "0.25"}]},
    )

    assert tiered.terms == {
        "tiers": [{"up_to": "1000.00", "rate": "0.100000"}, {"up_to": None, "rate": "0.250000"}]
    }


def test_the_maker_cannot_approve_their_own_agreement_even_as_a_superuser(staff_roles, partner, scenario):
    boss = StaffFactory(email="boss@bank.example", is_superuser=True)
    agreement = draft(boss, partner, scenario)
    services.agreement_submit(agreement=agreement, actor=boss)

    with pytest.raises(MakerCheckerViolation):
        services.agreement_approve(agreement=agreement, actor=boss)

    agreement.refresh_from_db()
    assert agreement.status == "pending_approval"


def test_a_maker_without_the_checker_permission_cannot_approve(maker, partner, scenario, staff_roles):
    other_maker = StaffFactory(email="maker2@bank.example")
    other_maker.groups.add(staff_roles["Finance makers"])
    agreement = draft(maker, partner, scenario)
    services.agreement_submit(agreement=agreement, actor=maker)

    with pytest.raises(RevenueNotAllowed):
        services.agreement_approve(agreement=agreement, actor=other_maker)


def test_approval_records_every_move_with_who_and_why(maker, checker, partner, scenario):
    agreement = draft(maker, partner, scenario)
    services.agreement_submit(agreement=agreement, actor=maker, reason="ready")
    services.agreement_return(agreement=agreement, actor=checker, reason="rate too high")
    services.agreement_update(agreement=agreement, actor=maker, terms={"rate": "0.25"})
    services.agreement_submit(agreement=agreement, actor=maker)
    services.agreement_approve(agreement=agreement, actor=checker, reason="ok")

    moves = list(
        AgreementStatusChange.objects.filter(agreement=agreement)
        .order_by("id")
        .values_list("from_status", "to_status", "changed_by__email", "reason")
    )
    assert moves == [
        ("", "draft", "maker@bank.example", ""),
        ("draft", "pending_approval", "maker@bank.example", "ready"),
        ("pending_approval", "draft", "checker@bank.example", "rate too high"),
        ("draft", "pending_approval", "maker@bank.example", ""),
        ("pending_approval", "sent", "checker@bank.example", "ok"),
    ]


def test_an_active_agreement_is_never_edited(maker, checker, partner, scenario):
    agreement = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)

    with pytest.raises(AgreementImmutable):
        services.agreement_update(agreement=agreement, actor=maker, terms={"rate": "0.9"})


def test_a_new_agreement_supersedes_the_active_one_without_gap_or_overlap(maker, checker, partner, scenario):
    old = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    new = draft(
        maker,
        partner,
        scenario,
        model="tiered",
        effective_from=date(2026, 3, 15),
        terms={"tiers": [{"up_to": None, "rate": "0.2"}]},
        supersedes=old,
    )
    services.agreement_submit(agreement=new, actor=maker)

    services.agreement_approve(agreement=new, actor=checker)
    old.refresh_from_db()
    assert (old.status, old.effective_to) == ("active", None)  # until the partner accepts

    services.agreement_accept(agreement=new, actor=partner_finance(partner))

    old.refresh_from_db()
    assert (old.status, old.effective_to) == ("superseded", date(2026, 3, 14))
    assert Agreement.objects.get(pk=new.pk).status == "active"


def test_a_second_active_agreement_without_superseding_is_refused(maker, checker, partner, scenario):
    agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    second = draft(maker, partner, scenario, effective_from=date(2026, 6, 1))
    services.agreement_submit(agreement=second, actor=maker)

    with pytest.raises(AgreementInvalid) as error:
        services.agreement_approve(agreement=second, actor=checker)

    assert error.value.field == "supersedes"


def test_superseding_cannot_reach_back_into_settled_periods(maker, checker, partner, scenario, joined):
    from revenue.services import settlement_start

    old = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    settlement_start(through=date(2026, 2, 28), trigger="command")
    new = draft(maker, partner, scenario, effective_from=date(2026, 2, 10), supersedes=old)
    services.agreement_submit(agreement=new, actor=maker)

    with pytest.raises(AgreementInvalid) as error:
        services.agreement_approve(agreement=new, actor=checker)

    assert error.value.field == "effective_from"


def test_settlement_splits_the_month_where_one_agreement_supersedes_another(
    maker, checker, partner, scenario, joined
):
    from revenue.models import Statement
    from revenue.services import settlement_start

    from .factories import item, record

    old = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    new = draft(
        maker, partner, scenario, effective_from=date(2026, 1, 16), terms={"rate": "0.5"}, supersedes=old
    )
    services.agreement_submit(agreement=new, actor=maker)
    services.agreement_approve(agreement=new, actor=checker)
    services.agreement_accept(agreement=new, actor=partner_finance(partner))
    record(
        partner, item(amount="100.00", day=date(2026, 1, 10)), item(amount="100.00", day=date(2026, 1, 20))
    )

    settlement_start(through=date(2026, 1, 31), trigger="command")

    rows = list(
        Statement.objects.order_by("period_start").values_list(
            "agreement_id", "period_start", "period_end", "share_amount"
        )
    )
    assert [(a, s.day, e.day, str(x)) for a, s, e, x in rows] == [
        (old.pk, 1, 15, "30.00"),
        (new.pk, 16, 31, "50.00"),
    ]


# --------------------------------------------------------------------------------------
# Four eyes: whoever changed a version's terms is one of its makers
# --------------------------------------------------------------------------------------
def test_a_superuser_who_edited_a_makers_draft_cannot_approve_it(maker, partner, scenario, joined):
    root = StaffFactory(email="root@bank.example", is_superuser=True)
    agreement = draft(maker, partner, scenario)
    services.agreement_update(agreement=agreement, actor=root, terms={"rate": "0.35"})
    services.agreement_submit(agreement=agreement, actor=maker)

    with pytest.raises(MakerCheckerViolation) as excinfo:
        services.agreement_approve(agreement=agreement, actor=root)

    assert "(you changed its terms)" in excinfo.value.message
    agreement.refresh_from_db()
    assert (agreement.status, agreement.approved_by) == ("pending_approval", None)
    assert list(agreement.editors.all()) == [root]


def test_whoever_submitted_an_agreement_cannot_approve_it(maker, checker, partner, scenario, joined):
    root = StaffFactory(email="root@bank.example", is_superuser=True)
    agreement = draft(maker, partner, scenario)
    services.agreement_submit(agreement=agreement, actor=root)

    with pytest.raises(MakerCheckerViolation, match="you submitted it"):
        services.agreement_approve(agreement=agreement, actor=root)

    services.agreement_approve(agreement=agreement, actor=checker)  # who made none of it
    assert Agreement.objects.get(pk=agreement.pk).status == "sent"


def test_an_edit_sent_back_and_made_again_keeps_every_editor_a_maker(
    maker, checker, partner, scenario, joined, staff_roles
):
    both = StaffFactory(email="both@bank.example")
    both.groups.add(staff_roles["Finance makers"], staff_roles["Finance checkers"])
    agreement = draft(maker, partner, scenario)
    services.agreement_submit(agreement=agreement, actor=maker)
    services.agreement_return(agreement=agreement, actor=both, reason="rate too high")
    services.agreement_update(agreement=agreement, actor=both, terms={"rate": "0.25"})
    services.agreement_submit(agreement=agreement, actor=maker)

    with pytest.raises(MakerCheckerViolation, match="you changed its terms"):
        services.agreement_approve(agreement=agreement, actor=both)
    services.agreement_approve(agreement=agreement, actor=checker)
    assert Agreement.objects.get(pk=agreement.pk).approved_by == checker
