"""Agreement acceptance: approval sends the agreement to the partner; an owner or finance member
accepts it (or declines it, saying why), or staff record a signed copy; only accepted agreements
settle; the terms' SHA-256 is recorded when sent and when accepted; four eyes hold for superusers.
Personas: alice owns the partner, fiona is its finance member, dev its developer, charlie owns
another partner; maker and checker are finance staff."""

from __future__ import annotations

import hashlib
from datetime import date
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from revenue import services
from revenue.exceptions import AgreementInvalid, MakerCheckerViolation, RevenueNotAllowed, StatusMoveInvalid
from revenue.models import Agreement, AgreementStatusChange, Statement
from revenue.terms import terms_canonical, terms_sha256
from tests.factories import MembershipFactory, StaffFactory, UserFactory

from .factories import agreement_in_force, finance_staff

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def fiona(partner):
    user = UserFactory(email="fiona@skyway.example")
    MembershipFactory(user=user, partner=partner, role="finance")
    return user


@pytest.fixture
def recorder(staff_roles):
    """A third finance maker: records signed copies (neither drafted nor sent the agreement)."""
    return finance_staff(staff_roles, "recorder@bank.example", "Finance makers")


def sent(maker, checker, partner, scenario, **overrides) -> Agreement:
    fields = {
        "model": "percentage",
        "terms": {"rate": "0.3"},
        "cycle": "monthly",
        "effective_from": date(2026, 1, 1),
    }
    fields.update(overrides)
    agreement = services.agreement_create(actor=maker, partner=partner, scenario=scenario, **fields)
    services.agreement_submit(agreement=agreement, actor=maker)
    return services.agreement_approve(agreement=agreement, actor=checker)


def moves(agreement) -> list[tuple[str, str, str | None, str]]:
    return list(
        AgreementStatusChange.objects.filter(agreement=agreement)
        .order_by("id")
        .values_list("from_status", "to_status", "changed_by__email", "terms_sha256")
    )


def pdf(name: str = "signed.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# ---------------------------------------------------------------------------------------------
# The terms' hash
# ---------------------------------------------------------------------------------------------
def test_the_terms_hash_is_the_sha256_of_one_canonical_json_and_stays_the_same():
    terms = SimpleNamespace(
        model="tiered",
        terms={"tiers": [{"up_to": "1000.00", "rate": "0.100000"}, {"up_to": None, "rate": "0.200000"}]},
        basis="amount",
        cycle="monthly",
        currency="CNY",
        scenario_code="travel-finance",
        effective_from=date(2026, 1, 1),
        effective_to=None,
    )
    canonical = (
        b'{"basis":"amount","currency":"CNY","cycle":"monthly","effective_from":"2026-01-01",'
        b'"effective_to":null,"model":"tiered","scenario":"travel-finance","terms":{"tiers":'
        b'[{"rate":"0.100000","up_to":"1000.00"},{"rate":"0.200000","up_to":null}]}}'
    )
    assert terms_canonical(**vars(terms)) == canonical
    assert terms_sha256(terms) == hashlib.sha256(canonical).hexdigest()
    # Pinned: a change of the canonical form would orphan every recorded hash.
    assert terms_sha256(terms) == "0fbc43c82665c4ff6896e96b0df3e9f4297b20549837df4f50a703734516a935"
    terms.cycle = "weekly"
    assert terms_sha256(terms) != hashlib.sha256(canonical).hexdigest()


def test_approval_sends_the_agreement_with_its_hash_and_it_does_not_come_into_force(
    maker, checker, partner, scenario
):
    agreement = sent(maker, checker, partner, scenario)

    agreement.refresh_from_db()
    assert agreement.status == "sent"
    assert agreement.approved_by == checker
    assert agreement.terms_sha256 == terms_sha256(agreement)
    assert agreement.accepted_at is None
    assert moves(agreement)[-1] == (
        "pending_approval",
        "sent",
        "checker@bank.example",
        agreement.terms_sha256,
    )


# ---------------------------------------------------------------------------------------------
# Accepting in the portal
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["alice", "fiona"])
def test_an_owner_or_finance_member_accepts_and_the_acceptance_is_in_the_history(
    request, maker, checker, partner, scenario, who
):
    member = request.getfixturevalue(who)
    agreement = sent(maker, checker, partner, scenario)

    services.agreement_accept(agreement=agreement, actor=member, seen_sha256=agreement.terms_sha256)

    agreement.refresh_from_db()
    assert (agreement.status, agreement.acceptance, agreement.accepted_by) == ("active", "portal", member)
    assert agreement.accepted_at is not None
    sent_row, accepted_row = moves(agreement)[-2:]
    assert accepted_row == ("sent", "active", member.email, agreement.terms_sha256)
    assert sent_row[3] == accepted_row[3] == terms_sha256(agreement)


@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_other_roles_of_the_partner_cannot_accept_or_decline(maker, checker, partner, scenario, role):
    member = UserFactory(email=f"{role}@skyway.example")
    MembershipFactory(user=member, partner=partner, role=role)
    agreement = sent(maker, checker, partner, scenario)

    with pytest.raises(RevenueNotAllowed):
        services.agreement_accept(agreement=agreement, actor=member)
    with pytest.raises(RevenueNotAllowed):
        services.agreement_decline(agreement=agreement, actor=member, reason="no")
    assert Agreement.objects.get(pk=agreement.pk).status == "sent"


def test_another_partners_owner_and_bank_staff_cannot_accept(maker, checker, partner, scenario, charlie):
    agreement = sent(maker, checker, partner, scenario)
    root = StaffFactory(email="root@bank.example", is_superuser=True)

    for outsider in (charlie, root, maker, None):
        with pytest.raises(RevenueNotAllowed):
            services.agreement_accept(agreement=agreement, actor=outsider)
    assert Agreement.objects.get(pk=agreement.pk).status == "sent"


def test_nobody_accepts_for_the_partner_what_they_made_or_sent_for_the_bank(
    staff_roles, maker, partner, scenario
):
    """Four eyes across the table: a superuser who is also the partner's owner cannot accept
    what they approved, and a maker who is a finance member cannot accept what they drafted."""
    root = StaffFactory(email="root@bank.example", is_superuser=True)
    MembershipFactory(user=root, partner=partner, role="owner")
    MembershipFactory(user=maker, partner=partner, role="finance")
    agreement = sent(maker, root, partner, scenario)

    with pytest.raises(MakerCheckerViolation, match="approved and sent it"):
        services.agreement_accept(agreement=agreement, actor=root)
    with pytest.raises(MakerCheckerViolation, match="drafted it"):
        services.agreement_accept(agreement=agreement, actor=maker)
    assert Agreement.objects.get(pk=agreement.pk).status == "sent"


def test_terms_the_member_did_not_see_are_not_accepted(maker, checker, partner, scenario, alice):
    agreement = sent(maker, checker, partner, scenario)

    with pytest.raises(AgreementInvalid) as error:
        services.agreement_accept(agreement=agreement, actor=alice, seen_sha256="0" * 64)

    assert error.value.field == "terms_sha256"
    assert Agreement.objects.get(pk=agreement.pk).status == "sent"


def test_terms_changed_behind_the_services_back_after_sending_are_not_accepted(
    maker, checker, partner, scenario, alice
):
    agreement = sent(maker, checker, partner, scenario)
    Agreement.objects.filter(pk=agreement.pk).update(terms={"rate": "0.900000"})

    with pytest.raises(AgreementInvalid, match="terms changed"):
        services.agreement_accept(agreement=agreement, actor=alice)
    assert Agreement.objects.get(pk=agreement.pk).status == "sent"


@pytest.mark.parametrize("status", ["draft", "pending_approval", "active", "declined"])
def test_only_a_sent_agreement_is_accepted(maker, checker, partner, scenario, alice, status):
    if status == "draft":
        agreement = services.agreement_create(
            actor=maker, partner=partner, scenario=scenario, model="percentage", terms={"rate": "0.3"},
            cycle="monthly", effective_from=date(2026, 1, 1),
        )  # fmt: skip
    elif status == "pending_approval":
        agreement = services.agreement_create(
            actor=maker, partner=partner, scenario=scenario, model="percentage", terms={"rate": "0.3"},
            cycle="monthly", effective_from=date(2026, 1, 1),
        )  # fmt: skip
        services.agreement_submit(agreement=agreement, actor=maker)
    else:
        agreement = sent(maker, checker, partner, scenario)
        if status == "active":
            services.agreement_accept(agreement=agreement, actor=alice)
        else:
            services.agreement_decline(agreement=agreement, actor=alice, reason="rate too low")

    with pytest.raises((StatusMoveInvalid, AgreementInvalid)):
        services.agreement_accept(agreement=agreement, actor=alice)
    assert Agreement.objects.get(pk=agreement.pk).status == status


def test_a_suspended_partner_cannot_accept(maker, checker, partner, scenario, alice):
    agreement = sent(maker, checker, partner, scenario)
    type(partner).objects.filter(pk=partner.pk).update(status="suspended")

    with pytest.raises(RevenueNotAllowed, match="suspended"):
        services.agreement_accept(agreement=agreement, actor=alice)


# ---------------------------------------------------------------------------------------------
# Declining, revising, withdrawing
# ---------------------------------------------------------------------------------------------
def test_the_partner_declines_with_a_reason_and_staff_revise_and_send_again(
    maker, checker, partner, scenario, fiona
):
    agreement = sent(maker, checker, partner, scenario)
    with pytest.raises(AgreementInvalid) as error:
        services.agreement_decline(agreement=agreement, actor=fiona, reason="  ")
    assert error.value.field == "reason"

    services.agreement_decline(agreement=agreement, actor=fiona, reason="We agreed 35 % on the phone.")
    agreement.refresh_from_db()
    assert agreement.status == "declined"
    row = AgreementStatusChange.objects.filter(agreement=agreement).latest("id")
    assert (row.changed_by, row.reason, row.terms_sha256) == (
        fiona,
        "We agreed 35 % on the phone.",
        agreement.terms_sha256,
    )

    services.agreement_revise(agreement=agreement, actor=maker, reason="35 % as agreed")
    agreement.refresh_from_db()
    assert (agreement.status, agreement.approved_by, agreement.terms_sha256) == ("draft", None, "")
    services.agreement_update(agreement=agreement, actor=maker, terms={"rate": "0.35"})
    services.agreement_submit(agreement=agreement, actor=maker)
    services.agreement_approve(agreement=agreement, actor=checker)
    services.agreement_accept(agreement=agreement, actor=fiona)

    agreement.refresh_from_db()
    assert agreement.status == "active"
    assert [m[:2] for m in moves(agreement)] == [
        ("", "draft"),
        ("draft", "pending_approval"),
        ("pending_approval", "sent"),
        ("sent", "declined"),
        ("declined", "draft"),
        ("draft", "pending_approval"),
        ("pending_approval", "sent"),
        ("sent", "active"),
    ]
    first_hash, second_hash = (m[3] for m in moves(agreement) if m[1] == "sent")
    assert first_hash != second_hash == agreement.terms_sha256  # new terms, new fingerprint


def test_staff_withdraw_a_sent_agreement_but_revise_nothing_else(maker, checker, partner, scenario, alice):
    agreement = sent(maker, checker, partner, scenario)
    with pytest.raises(AgreementInvalid):
        services.agreement_revise(agreement=agreement, actor=maker, reason="")

    services.agreement_revise(agreement=agreement, actor=maker, reason="wrong start date")
    assert Agreement.objects.get(pk=agreement.pk).status == "draft"
    with pytest.raises(StatusMoveInvalid):
        services.agreement_revise(agreement=agreement, actor=maker, reason="again")

    in_force = agreement_in_force(
        maker=maker, checker=checker, partner=partner, scenario=scenario, effective_from=date(2026, 2, 1)
    )
    with pytest.raises(StatusMoveInvalid):
        services.agreement_revise(agreement=in_force, actor=maker, reason="no")
    with pytest.raises(RevenueNotAllowed):
        services.agreement_revise(agreement=in_force, actor=alice, reason="no")


def test_only_one_agreement_per_scenario_waits_for_the_partner(maker, checker, partner, scenario):
    sent(maker, checker, partner, scenario)
    second = services.agreement_create(
        actor=maker, partner=partner, scenario=scenario, model="percentage", terms={"rate": "0.2"},
        cycle="monthly", effective_from=date(2026, 6, 1),
    )  # fmt: skip
    services.agreement_submit(agreement=second, actor=maker)

    with pytest.raises(AgreementInvalid, match="already waits"):
        services.agreement_approve(agreement=second, actor=checker)


# ---------------------------------------------------------------------------------------------
# Superseding
# ---------------------------------------------------------------------------------------------
def test_the_old_agreement_stays_active_until_the_new_one_is_accepted(
    maker, checker, partner, scenario, alice
):
    old = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    new = sent(maker, checker, partner, scenario, effective_from=date(2026, 4, 1), supersedes=old)
    old.refresh_from_db()
    assert (old.status, old.effective_to) == ("active", None)

    services.agreement_decline(agreement=new, actor=alice, reason="not yet")
    old.refresh_from_db()
    assert (old.status, old.effective_to) == ("active", None)

    services.agreement_revise(agreement=new, actor=maker, reason="try again")
    services.agreement_submit(agreement=new, actor=maker)
    services.agreement_approve(agreement=new, actor=checker)
    services.agreement_accept(agreement=new, actor=alice)

    old.refresh_from_db()
    assert (old.status, old.effective_to) == ("superseded", date(2026, 3, 31))
    assert AgreementStatusChange.objects.filter(agreement=old).latest("id").changed_by == alice


def test_an_acceptance_that_would_reach_into_settled_periods_is_refused(
    maker, checker, partner, scenario, joined, alice
):
    old = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    new = sent(maker, checker, partner, scenario, effective_from=date(2026, 2, 10), supersedes=old)
    services.settlement_start(through=date(2026, 2, 28), trigger="command")  # settles old's February

    with pytest.raises(AgreementInvalid, match="settled through"):
        services.agreement_accept(agreement=new, actor=alice)
    assert Agreement.objects.get(pk=new.pk).status == "sent"
    assert Agreement.objects.get(pk=old.pk).status == "active"


# ---------------------------------------------------------------------------------------------
# Only accepted agreements settle
# ---------------------------------------------------------------------------------------------
def test_a_sent_or_declined_agreement_never_settles(maker, checker, partner, scenario, joined, alice):
    from .factories import item, record

    agreement = sent(maker, checker, partner, scenario)
    record(partner, item(amount="100.00", day=date(2026, 1, 10)))

    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    assert not Statement.objects.exists()
    from revenue.periods import Period

    generated = services.statement_generate(
        agreement_id=agreement.pk, period=Period(date(2026, 1, 1), date(2026, 1, 31))
    )
    assert generated.statement is None
    assert not Statement.objects.exists()

    services.agreement_accept(agreement=agreement, actor=alice)
    services.settlement_start(through=date(2026, 1, 31), trigger="command")
    assert Statement.objects.get().share_amount == 30


def test_the_database_refuses_an_agreement_in_force_without_acceptance(maker, checker, partner, scenario):
    from django.db import IntegrityError, transaction

    agreement = sent(maker, checker, partner, scenario)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=agreement.pk).update(status="active")


# ---------------------------------------------------------------------------------------------
# Offline acceptance with the signed copy
# ---------------------------------------------------------------------------------------------
def test_staff_record_a_signed_acceptance_with_its_copy(maker, checker, partner, scenario, recorder):
    agreement = sent(maker, checker, partner, scenario)

    services.agreement_acceptance_record(
        agreement=agreement, actor=recorder, signatory="Li Wei, CFO", signed_copy=pdf("contract.exe")
    )

    agreement.refresh_from_db()
    assert (agreement.status, agreement.acceptance, agreement.accepted_by) == ("active", "offline", recorder)
    assert (agreement.signatory, agreement.signed_copy_type) == ("Li Wei, CFO", "application/pdf")
    assert agreement.signed_copy.name.endswith(".pdf")  # the sniffed type, not the uploaded name
    assert agreement.signed_copy.read() == PDF
    row = AgreementStatusChange.objects.filter(agreement=agreement).latest("id")
    assert (row.to_status, row.changed_by, row.terms_sha256) == ("active", recorder, agreement.terms_sha256)


def test_the_maker_may_record_the_signed_copy_but_the_checker_who_sent_it_may_not_even_as_superuser(
    staff_roles, maker, partner, scenario
):
    root = StaffFactory(email="root@bank.example", is_superuser=True)
    agreement = sent(maker, root, partner, scenario)

    with pytest.raises(MakerCheckerViolation, match="approved and sent it"):
        services.agreement_acceptance_record(
            agreement=agreement, actor=root, signatory="Li Wei", signed_copy=pdf()
        )
    assert Agreement.objects.get(pk=agreement.pk).status == "sent"

    services.agreement_acceptance_record(
        agreement=agreement, actor=maker, signatory="Li Wei", signed_copy=pdf()
    )
    assert Agreement.objects.get(pk=agreement.pk).status == "active"


@pytest.mark.parametrize(
    ("upload", "field"),
    [
        (
            SimpleUploadedFile("signed.pdf", b"just some text, not a PDF", content_type="application/pdf"),
            "signed_copy",
        ),
        (SimpleUploadedFile("signed.pdf", b"", content_type="application/pdf"), "signed_copy"),
        (None, "signed_copy"),
    ],
)
def test_a_bad_signed_copy_is_refused_and_nothing_is_written(
    settings, maker, checker, partner, scenario, recorder, upload, field
):
    agreement = sent(maker, checker, partner, scenario)

    with pytest.raises(AgreementInvalid) as error:
        services.agreement_acceptance_record(
            agreement=agreement, actor=recorder, signatory="Li Wei", signed_copy=upload
        )

    assert error.value.field == field
    agreement.refresh_from_db()
    assert (agreement.status, agreement.signed_copy.name) == ("sent", "")
    media = settings.MEDIA_ROOT / "agreements"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_a_signed_copy_over_the_limit_and_a_missing_signatory_are_refused(
    settings, maker, checker, partner, scenario, recorder
):
    settings.PARTNER_DOCUMENT_MAX_BYTES = 10
    agreement = sent(maker, checker, partner, scenario)
    with pytest.raises(AgreementInvalid, match="largest allowed"):
        services.agreement_acceptance_record(
            agreement=agreement, actor=recorder, signatory="Li", signed_copy=pdf()
        )
    with pytest.raises(AgreementInvalid) as error:
        services.agreement_acceptance_record(
            agreement=agreement, actor=recorder, signatory=" ", signed_copy=pdf()
        )
    assert error.value.field == "signatory"


def test_recording_a_signed_copy_needs_the_permission(maker, checker, partner, scenario, alice, staff_roles):
    agreement = sent(maker, checker, partner, scenario)
    clerk = StaffFactory(email="clerk@bank.example")

    for actor in (clerk, alice, None):
        with pytest.raises(RevenueNotAllowed):
            services.agreement_acceptance_record(
                agreement=agreement, actor=actor, signatory="Li", signed_copy=pdf()
            )


def test_a_failed_acceptance_after_the_upload_deletes_the_stored_copy(
    settings, maker, checker, partner, scenario, recorder
):
    agreement = sent(maker, checker, partner, scenario)
    Agreement.objects.filter(pk=agreement.pk).update(terms={"rate": "0.900000"})  # hash no longer matches

    with pytest.raises(AgreementInvalid):
        services.agreement_acceptance_record(
            agreement=agreement, actor=recorder, signatory="Li", signed_copy=pdf()
        )

    media = settings.MEDIA_ROOT / "agreements"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


# ---------------------------------------------------------------------------------------------
# Notifications (partners.notifications.notify, after commit)
# ---------------------------------------------------------------------------------------------
def notified(kind: str) -> list[tuple[str, dict]]:
    from partners.models import Notification

    return sorted(
        (n.recipient.email, n.params)
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    )


def test_the_partner_is_told_an_agreement_was_sent_and_the_bank_of_the_answer(
    maker, checker, partner, scenario, alice, fiona, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = sent(maker, checker, partner, scenario)
    assert [email for email, _params in notified("agreement.sent")] == [
        "alice@skyway.example",
        "fiona@skyway.example",
    ]
    assert notified("agreement.sent")[0][1]["agreement"] == f"#{agreement.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_decline(agreement=agreement, actor=fiona, reason="Rate too low.")
    declined = notified("agreement.declined")
    assert [email for email, _params in declined] == ["checker@bank.example", "maker@bank.example"]
    assert declined[0][1]["reason"] == "Rate too low."

    services.agreement_revise(agreement=agreement, actor=maker, reason="again")
    services.agreement_submit(agreement=agreement, actor=maker)
    services.agreement_approve(agreement=agreement, actor=checker)
    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_accept(agreement=agreement, actor=alice)
    assert [email for email, _params in notified("agreement.accepted")] == [
        "checker@bank.example",
        "maker@bank.example",
    ]


def test_the_partner_is_told_when_an_agreement_is_superseded(
    maker, checker, partner, scenario, alice, django_capture_on_commit_callbacks
):
    old = agreement_in_force(maker=maker, checker=checker, partner=partner, scenario=scenario)
    new = sent(maker, checker, partner, scenario, effective_from=date(2026, 4, 1), supersedes=old)

    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_accept(agreement=new, actor=alice)

    superseded = dict(notified("agreement.superseded"))
    assert superseded["alice@skyway.example"]["agreement"] == f"#{old.pk}"
    assert superseded["alice@skyway.example"]["successor"] == f"#{new.pk}"


def test_a_failed_acceptance_tells_nobody(
    maker, checker, partner, scenario, alice, django_capture_on_commit_callbacks
):
    agreement = sent(maker, checker, partner, scenario)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AgreementInvalid):
        services.agreement_accept(agreement=agreement, actor=alice, seen_sha256="0" * 64)

    assert notified("agreement.accepted") == []
