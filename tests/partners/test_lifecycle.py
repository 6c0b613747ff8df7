"""The partner lifecycle: every allowed and every forbidden move, the change rows, the
preconditions and what each status means elsewhere."""

import itertools

import pytest

from partners import services
from partners.exceptions import PartnerError, PartnerInvalidTransition, PartnerNotAllowed, ReviewIncomplete
from partners.keycache import keycache_start, partner_record
from partners.models import Partner, PartnerDocument, PartnerStatusChange
from tests.factories import PartnerFactory

from .factories import make_reviewable

S = Partner.Status

# service → (the statuses it moves from, the status it moves to); a reason is always given.
SERVICES = {
    "submit": (services.partner_submit, {S.DRAFT}, S.SUBMITTED),
    "review_start": (services.partner_review_start, {S.SUBMITTED}, S.UNDER_REVIEW),
    "approve": (services.partner_approve, {S.UNDER_REVIEW}, S.APPROVED),
    "reject": (services.partner_reject, {S.UNDER_REVIEW}, S.REJECTED),
    "reopen": (services.partner_reopen, {S.REJECTED}, S.DRAFT),
    "activate": (services.partner_activate, {S.APPROVED}, S.ACTIVE),
    "suspend": (services.partner_suspend, {S.ACTIVE}, S.SUSPENDED),
    "reinstate": (services.partner_reinstate, {S.SUSPENDED}, S.ACTIVE),
    "terminate": (services.partner_terminate, {S.ACTIVE, S.SUSPENDED}, S.TERMINATED),
}
ALL_CASES = list(itertools.product(SERVICES, S.values))
ALLOWED = [(name, status) for name, status in ALL_CASES if status in SERVICES[name][1]]
FORBIDDEN = [(name, status) for name, status in ALL_CASES if status not in SERVICES[name][1]]


def test_the_map_is_exactly_the_documented_lifecycle():
    moves = {(src, dst) for src, targets in services.ALLOWED_MOVES.items() for dst in targets}

    assert moves == {
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.UNDER_REVIEW),
        (S.UNDER_REVIEW, S.APPROVED),
        (S.UNDER_REVIEW, S.REJECTED),
        (S.APPROVED, S.ACTIVE),
        (S.ACTIVE, S.SUSPENDED),
        (S.SUSPENDED, S.ACTIVE),
        (S.ACTIVE, S.TERMINATED),
        (S.SUSPENDED, S.TERMINATED),
        (S.REJECTED, S.DRAFT),
    }
    assert moves == {(src, SERVICES[name][2]) for name, src in ALLOWED}


@pytest.mark.django_db
@pytest.mark.parametrize(("service", "from_status"), ALLOWED)
def test_an_allowed_move_changes_the_status_and_writes_a_change_row(manager, service, from_status):
    call, _sources, to_status = SERVICES[service]
    partner = make_reviewable(actor=manager, status=from_status)

    call(partner=partner, actor=manager, reason="Because the file says so")

    partner.refresh_from_db()
    assert partner.status == to_status
    change = PartnerStatusChange.objects.get(partner=partner)
    assert (change.from_status, change.to_status) == (from_status, to_status)
    assert change.changed_by == manager
    assert change.reason == "Because the file says so"
    assert change.changed_at is not None
    latest = partner.history.first()
    assert latest.status == to_status
    assert latest.history_user == manager


@pytest.mark.django_db
@pytest.mark.parametrize(("service", "from_status"), FORBIDDEN)
def test_a_forbidden_move_is_refused_and_changes_nothing(manager, service, from_status):
    call, _sources, _to = SERVICES[service]
    partner = make_reviewable(actor=manager, status=from_status)

    with pytest.raises(PartnerInvalidTransition):
        call(partner=partner, actor=manager, reason="Trying")

    partner.refresh_from_db()
    assert partner.status == from_status
    assert not PartnerStatusChange.objects.filter(partner=partner).exists()


@pytest.mark.django_db
def test_a_stale_instance_cannot_sneak_a_move_past_the_map(manager):
    partner = make_reviewable(actor=manager, status=S.SUSPENDED)
    stale = Partner.objects.get(pk=partner.pk)
    stale.status = S.APPROVED  # what an old page showed

    with pytest.raises(PartnerInvalidTransition):
        services.partner_activate(partner=stale, actor=manager)

    assert Partner.objects.get(pk=partner.pk).status == S.SUSPENDED


@pytest.mark.django_db
@pytest.mark.parametrize("service", ["reject", "suspend", "terminate"])
def test_moves_that_hurt_the_partner_need_a_reason(manager, service):
    call, sources, _to = SERVICES[service]
    partner = make_reviewable(actor=manager, status=sorted(sources)[0])

    with pytest.raises(PartnerError) as excinfo:
        call(partner=partner, actor=manager, reason="  ")

    assert excinfo.value.field == "reason"
    assert Partner.objects.get(pk=partner.pk).status == partner.status


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("missing", "label"),
    [
        ({"risk_rating": ""}, "risk rating set"),
        ({"relationship_manager": None}, "relationship manager assigned"),
        ({"credit_code_verified_at": None, "credit_code_verified_by": None}, "credit code verified"),
    ],
)
def test_approval_needs_the_complete_review_checklist(manager, missing, label):
    partner = make_reviewable(actor=manager, status=S.UNDER_REVIEW, **missing)

    with pytest.raises(ReviewIncomplete) as excinfo:
        services.partner_approve(partner=partner, actor=manager)

    assert label in excinfo.value.message
    assert Partner.objects.get(pk=partner.pk).status == S.UNDER_REVIEW


@pytest.mark.django_db
def test_approval_needs_every_required_document_verified(manager):
    partner = make_reviewable(actor=manager, status=S.UNDER_REVIEW)
    partner.documents.filter(document_type="authorisation_letter").update(status="pending")

    with pytest.raises(ReviewIncomplete, match="documents verified"):
        services.partner_approve(partner=partner, actor=manager)


@pytest.mark.django_db
def test_activation_refuses_a_partner_whose_required_document_expired_since_approval(manager):
    partner = make_reviewable(actor=manager, status=S.APPROVED)
    partner.documents.filter(document_type="cooperation_agreement").update(
        status=PartnerDocument.Status.EXPIRED
    )

    with pytest.raises(ReviewIncomplete, match="Cooperation agreement"):
        services.partner_activate(partner=partner, actor=manager)


@pytest.mark.django_db
def test_submission_needs_contact_details_and_every_required_document_uploaded(manager):
    partner = PartnerFactory(status=S.DRAFT, contact_name="", contact_email="")

    with pytest.raises(PartnerError) as excinfo:
        services.partner_submit(partner=partner, actor=manager)

    message = excinfo.value.message
    assert "contact name" in message
    assert "contact e-mail" in message
    assert "Business licence" in message
    assert "Cooperation agreement" in message


@pytest.mark.django_db
def test_the_partner_owner_may_submit_the_application_but_a_developer_may_not(manager, bob):
    partner = make_reviewable(actor=manager)
    from tests.factories import MembershipFactory, UserFactory

    owner = MembershipFactory(partner=partner, user=UserFactory(), role="owner").user
    developer = MembershipFactory(partner=partner, user=UserFactory(), role="developer").user

    with pytest.raises(PartnerNotAllowed):
        services.partner_submit(partner=partner, actor=developer)
    services.partner_submit(partner=partner, actor=owner)

    assert Partner.objects.get(pk=partner.pk).status == S.SUBMITTED


@pytest.mark.django_db
def test_a_partner_user_cannot_approve_their_own_application(manager, alice, acme):
    acme.status = S.UNDER_REVIEW
    acme.save()

    with pytest.raises(PartnerNotAllowed):
        services.partner_approve(partner=acme, actor=alice)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "api", "read_only", "closed"),
    [
        (S.DRAFT, False, False, False),
        (S.SUBMITTED, False, False, False),
        (S.UNDER_REVIEW, False, False, False),
        (S.APPROVED, False, False, False),
        (S.ACTIVE, True, False, False),
        (S.SUSPENDED, False, True, False),
        (S.TERMINATED, False, True, True),
        (S.REJECTED, False, False, False),
    ],
)
def test_what_each_status_means_for_the_api_and_the_portal(status, api, read_only, closed):
    partner = PartnerFactory.build(status=status)

    assert (partner.accepts_api_traffic, partner.is_read_only, partner.is_closed) == (api, read_only, closed)


@pytest.mark.django_db
def test_suspension_takes_effect_at_once_and_clears_the_cached_status(
    manager, django_capture_on_commit_callbacks
):
    partner = make_reviewable(actor=manager, status=S.ACTIVE)
    records = keycache_start()
    assert partner_record(partner.pk).status == S.ACTIVE
    assert records.partner(partner.pk) is not None  # cached now

    with django_capture_on_commit_callbacks(execute=True):
        services.partner_suspend(partner=partner, actor=manager, reason="Unpaid fees")

    assert records.partner(partner.pk) is None
    assert partner_record(partner.pk).status == S.SUSPENDED
    assert not Partner.objects.get(pk=partner.pk).accepts_api_traffic
    assert not partner.accepts_api_traffic  # the caller's instance is current too


@pytest.mark.django_db
def test_changing_the_credit_code_forgets_its_verification(manager):
    partner = make_reviewable(actor=manager)

    services.partner_update(partner=partner, actor=manager, credit_code="91110000802100433B")

    partner.refresh_from_db()
    assert partner.credit_code_verified_at is None
    assert partner.credit_code_verified_by is None


@pytest.mark.django_db
def test_the_record_service_never_changes_the_status(manager):
    partner = make_reviewable(actor=manager)
    partner.status = S.ACTIVE

    services.partner_save(partner=partner, actor=manager)

    assert Partner.objects.get(pk=partner.pk).status == S.DRAFT


@pytest.mark.django_db
def test_a_new_partner_starts_in_draft_with_a_validated_code(manager, staff_roles):
    from django.core.exceptions import ValidationError

    from tests.factories import IndustryFactory

    travel = IndustryFactory(code="travel")
    with pytest.raises(ValidationError) as excinfo:
        services.partner_create(
            actor=manager, slug="bad", display_name="Bad", legal_name="Bad Co.", credit_code="91350100M000100Y44",
            industry=travel,
        )  # fmt: skip
    assert "credit_code" in excinfo.value.message_dict

    partner = services.partner_create(
        actor=manager, slug="good", display_name="Good", legal_name="Good Co.", credit_code="91350100m000100y43",
        industry=travel,
    )  # fmt: skip
    assert partner.status == S.DRAFT
    assert partner.credit_code == "91350100M000100Y43"


@pytest.mark.django_db
def test_the_relationship_manager_must_be_staff(manager, alice):
    from django.core.exceptions import ValidationError

    partner = make_reviewable(actor=manager)

    with pytest.raises(ValidationError) as excinfo:
        services.partner_update(partner=partner, actor=manager, relationship_manager=alice)

    assert "relationship_manager" in excinfo.value.message_dict


@pytest.fixture
def checker(staff_roles):
    from .conftest import _staff_in

    return _staff_in("Partner managers", "checker@bank.test")


@pytest.mark.django_db
def test_whoever_submitted_an_application_cannot_approve_it(manager, checker):
    partner = make_reviewable(actor=manager)
    services.partner_submit(partner=partner, actor=manager)
    services.partner_review_start(partner=partner, actor=checker)

    with pytest.raises(PartnerNotAllowed) as excinfo:
        services.partner_approve(partner=partner, actor=manager)

    assert excinfo.value.code == "maker_checker"
    assert "you submitted it, so another staff member must approve" in excinfo.value.message
    assert Partner.objects.get(pk=partner.pk).status == S.UNDER_REVIEW
    assert not PartnerStatusChange.objects.filter(partner=partner, to_status=S.APPROVED).exists()


@pytest.mark.django_db
def test_not_even_a_superuser_approves_what_they_submitted(manager):
    from tests.factories import StaffFactory

    root = StaffFactory(email="root@bank.test", is_superuser=True)
    partner = make_reviewable(actor=manager)
    services.partner_submit(partner=partner, actor=root)
    services.partner_review_start(partner=partner, actor=root)

    with pytest.raises(PartnerNotAllowed, match="Maker-checker"):
        services.partner_approve(partner=partner, actor=root)

    assert Partner.objects.get(pk=partner.pk).status == S.UNDER_REVIEW


@pytest.mark.django_db
def test_the_maker_is_whoever_submitted_last(manager, checker):
    from tests.factories import MembershipFactory, UserFactory

    partner = make_reviewable(actor=manager)
    owner = MembershipFactory(partner=partner, user=UserFactory(), role="owner").user
    services.partner_submit(partner=partner, actor=manager)
    services.partner_review_start(partner=partner, actor=checker)
    services.partner_reject(partner=partner, actor=checker, reason="Blurred licence")
    services.partner_reopen(partner=partner, actor=checker)
    services.partner_submit(partner=partner, actor=owner)  # the applicant submits it again
    services.partner_review_start(partner=partner, actor=checker)

    services.partner_approve(partner=partner, actor=manager)

    assert Partner.objects.get(pk=partner.pk).status == S.APPROVED


@pytest.mark.django_db
def test_each_decision_of_the_bank_is_mailed_to_the_active_owners_and_admins_after_commit(
    manager, checker, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.factories import MembershipFactory, UserFactory

    partner = make_reviewable(actor=manager, display_name="Acme Travel")
    owner = MembershipFactory(partner=partner, user=UserFactory(email="owner@acme.test"), role="owner").user
    MembershipFactory(partner=partner, user=UserFactory(email="admin@acme.test"), role="admin")
    MembershipFactory(partner=partner, user=UserFactory(email="dev@acme.test"), role="developer")
    MembershipFactory(
        partner=partner, user=UserFactory(email="gone@acme.test", is_active=False), role="admin"
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.partner_submit(partner=partner, actor=owner)  # the applicant's own move
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.partner_review_start(partner=partner, actor=manager)
        assert mailoutbox == []  # nothing before the commit
    assert callbacks
    with django_capture_on_commit_callbacks(execute=True):
        services.partner_approve(partner=partner, actor=checker, reason="KYB complete")

    assert [m.to for m in mailoutbox] == [["admin@acme.test", "owner@acme.test"]] * 2
    approval = mailoutbox[1]
    assert "Acme Travel: Approved" in approval.subject
    assert "Acme Travel：已批准" in approval.subject
    assert "The bank changed the status of Acme Travel to “Approved”." in approval.body
    assert "银行已将 Acme Travel 的状态更改为“已批准”。" in approval.body
    assert "KYB complete" in approval.body
    assert "/portal/application/" in approval.body


@pytest.mark.django_db
def test_a_refused_decision_mails_nobody_and_a_bare_change_row_neither(
    manager, alice, acme, mailoutbox, django_capture_on_commit_callbacks
):
    Partner.objects.filter(pk=acme.pk).update(status=S.UNDER_REVIEW)
    acme.refresh_from_db()

    with pytest.raises(ReviewIncomplete), django_capture_on_commit_callbacks(execute=True):
        services.partner_approve(partner=acme, actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        # Only the lifecycle tells partners; a row written any other way sends nothing.
        PartnerStatusChange.objects.create(partner=acme, from_status=S.UNDER_REVIEW, to_status=S.APPROVED)

    assert mailoutbox == []


# --------------------------------------------------------------------------------------
# Four eyes: nobody who made the application approves it
# --------------------------------------------------------------------------------------
@pytest.fixture
def third(staff_roles):
    from .conftest import _staff_in

    return _staff_in("Partner managers", "third@bank.test")


def _under_review(*, submitter, reviewer, verifier):
    partner = make_reviewable(actor=submitter, verifier=verifier)
    services.partner_submit(partner=partner, actor=submitter)
    services.partner_review_start(partner=partner, actor=reviewer)
    return partner


@pytest.mark.django_db
def test_whoever_started_the_review_cannot_approve_it(manager, checker, third):
    partner = _under_review(submitter=manager, reviewer=checker, verifier=third)

    with pytest.raises(PartnerNotAllowed) as excinfo:
        services.partner_approve(partner=partner, actor=checker)

    assert excinfo.value.code == "maker_checker"
    assert excinfo.value.message == (
        "Maker-checker: you started its review, so another staff member must approve this partner."
    )
    assert Partner.objects.get(pk=partner.pk).status == S.UNDER_REVIEW


@pytest.mark.django_db
def test_whoever_verified_one_of_its_documents_cannot_approve_it_not_even_a_superuser(manager, checker):
    from tests.factories import StaffFactory

    root = StaffFactory(email="root@bank.test", is_superuser=True)
    partner = _under_review(submitter=manager, reviewer=checker, verifier=checker)
    document = partner.documents.first()
    PartnerDocument.objects.filter(pk=document.pk).update(verified_by=root)  # one of the three

    with pytest.raises(PartnerNotAllowed, match="you verified one of its documents, so another"):
        services.partner_approve(partner=partner, actor=root)

    assert Partner.objects.get(pk=partner.pk).status == S.UNDER_REVIEW
    assert not PartnerStatusChange.objects.filter(partner=partner, to_status=S.APPROVED).exists()


@pytest.mark.django_db
def test_whoever_verified_the_credit_code_cannot_approve_it(manager, checker, third):
    partner = _under_review(submitter=manager, reviewer=checker, verifier=checker)
    services.partner_credit_code_verify(partner=partner, actor=third)

    with pytest.raises(PartnerNotAllowed, match="you verified its credit code, so another"):
        services.partner_approve(partner=partner, actor=third)


@pytest.mark.django_db
def test_the_refusal_names_every_part_the_approver_played(manager, third):
    partner = _under_review(submitter=third, reviewer=third, verifier=third)

    with pytest.raises(PartnerNotAllowed) as excinfo:
        services.partner_approve(partner=partner, actor=third)

    assert excinfo.value.message == (
        "Maker-checker: you submitted it, started its review, verified one of its documents, "
        "verified its credit code, so another staff member must approve this partner."
    )
    services.partner_approve(partner=partner, actor=manager)  # who made none of it
    assert Partner.objects.get(pk=partner.pk).status == S.APPROVED


@pytest.mark.django_db
def test_the_approve_action_refuses_the_reviewer_in_the_admin(client, manager, checker, third):
    partner = _under_review(submitter=manager, reviewer=checker, verifier=third)
    client.force_login(checker)

    response = client.post(
        "/admin/partners/partner/",
        {"action": "lifecycle_approve", "_selected_action": [partner.pk], "confirm": "1", "reason": ""},
        follow=True,
    )

    assert "you started its review, so another staff member must approve" in response.content.decode()
    assert Partner.objects.get(pk=partner.pk).status == S.UNDER_REVIEW
