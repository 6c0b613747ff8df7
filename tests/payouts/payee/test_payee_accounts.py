"""Payee accounts: validation naming each field, the number encrypted at rest and masked,
maker-checker (superusers too), the cooling-off period, the owners' e-mails, tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from payouts import services
from payouts.exceptions import PayeeAccountInvalid, PayoutMakerChecker, PayoutNotAllowed
from payouts.models import PayeeAccount
from payouts.selectors import payee_account_in_force
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

GOOD = {
    "account_name": "Acme Travel (Shanghai) Co., Ltd.",
    "bank_name": "Bank of Shanghai",
    "branch_name": "Pudong branch",
    "cnaps_code": "313290000017",
    "account_number": "6222 0012 3456 7890",
}


def submit(partner, actor, **changes):
    return services.payee_account_submit(partner=partner, actor=actor, **{**GOOD, **changes})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("account_name", "  "),
        ("bank_name", ""),
        ("branch_name", "x" * 121),
        ("cnaps_code", "31329000001"),
        ("cnaps_code", "31329000001A"),
        ("account_number", "1234567"),
        ("account_number", "1" * 33),
        ("account_number", "6222-0012-ABCD"),
    ],
)
def test_it_refuses_a_bad_field_naming_it(acme, alice, field, value):
    with pytest.raises(PayeeAccountInvalid) as refused:
        submit(acme, alice, **{field: value})

    assert refused.value.field == field
    assert not PayeeAccount.objects.exists()


def test_a_name_other_than_the_legal_name_needs_the_partners_reason(acme, alice):
    with pytest.raises(PayeeAccountInvalid) as refused:
        submit(acme, alice, account_name="Acme Holdings Ltd.")

    assert refused.value.field == "name_mismatch_reason"
    account = submit(acme, alice, account_name="Acme Holdings Ltd.", name_mismatch_reason="group treasury")
    assert account.name_differs


def test_full_width_brackets_and_spaces_match_the_legal_name(acme, alice):
    account = submit(acme, alice, account_name="Acme  Travel（Shanghai）Co.,  Ltd.")

    assert not account.name_differs


def test_the_number_is_encrypted_at_rest_and_only_its_last_four_kept(acme, alice):
    account = submit(acme, alice)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_number_encrypted, account_number_last4 FROM payouts_payeeaccount WHERE id = %s",
            [account.pk],
        )
        encrypted, last4 = cursor.fetchone()
    assert "6222001234567890" not in encrypted
    assert last4 == "7890"
    assert services.payee_account_number(account) == "6222001234567890"
    assert str(account) == "Acme Travel (Shanghai) Co., Ltd. ****7890"


def test_the_number_is_shown_in_full_only_with_the_permission(acme, alice, checker, maker):
    account = submit(acme, alice)

    assert services.account_number_shown(account, checker) == "6222001234567890"
    assert services.account_number_shown(account, maker) == "****7890"
    assert services.account_number_shown(account, alice) == "****7890"


def test_only_owners_and_finance_submit(acme, bob, charlie, fiona):
    with pytest.raises(PayoutNotAllowed):
        submit(acme, bob)
    with pytest.raises(PayoutNotAllowed):
        submit(acme, charlie)

    assert submit(acme, fiona).status == "pending"


def test_the_verifier_is_never_who_entered_it_superusers_too(acme, maker, checker):
    boss = StaffFactory(email="boss@bank.test", is_superuser=True)
    entered_by_boss = submit(acme, boss)

    with pytest.raises(PayoutMakerChecker, match="entered it"):
        services.payee_account_verify(account=entered_by_boss, actor=boss)
    with pytest.raises(PayoutMakerChecker):
        services.payee_account_reject(account=entered_by_boss, actor=boss, reason="typo")

    entered_by_maker = submit(acme, maker)
    assert entered_by_maker.status == "pending"
    entered_by_boss.refresh_from_db()
    assert entered_by_boss.status == "replaced"  # the newer submission replaced it
    assert services.payee_account_verify(account=entered_by_maker, actor=checker).status == "verified"


def test_a_maker_without_the_permission_cannot_verify(acme, alice, maker):
    account = submit(acme, alice)

    with pytest.raises(PayoutNotAllowed):
        services.payee_account_verify(account=account, actor=maker)


def test_a_name_difference_is_verified_only_with_the_verifiers_reason(acme, alice, checker):
    account = submit(acme, alice, account_name="Acme Holdings", name_mismatch_reason="group treasury")

    with pytest.raises(PayeeAccountInvalid) as refused:
        services.payee_account_verify(account=account, actor=checker)
    assert refused.value.field == "name_difference_approval"

    verified = services.payee_account_verify(
        account=account, actor=checker, name_difference_approval="parent company, letter on file"
    )
    assert verified.name_difference_approval == "parent company, letter on file"


def test_a_changed_account_pays_only_after_the_cooling_off_period(acme, alice, checker, settings):
    settings.PAYEE_CHANGE_COOLING_HOURS = 24
    first = services.payee_account_verify(account=submit(acme, alice), actor=checker)
    later = timezone.now() + timedelta(hours=25)
    assert payee_account_in_force(partner_id=acme.pk, currency="CNY", at=later) == first

    second = submit(acme, alice, account_number="6222009999998888")
    assert (
        payee_account_in_force(partner_id=acme.pk, currency="CNY", at=later) == first
    )  # pending pays nothing
    second = services.payee_account_verify(account=second, actor=checker)

    first.refresh_from_db()
    assert first.status == "replaced"
    assert second.effective_at == second.verified_at + timedelta(hours=24)
    assert payee_account_in_force(partner_id=acme.pk, currency="CNY", at=second.verified_at) is None
    assert payee_account_in_force(partner_id=acme.pk, currency="CNY", at=second.effective_at) == second
    assert [c.to_status for c in first.changes.order_by("id")] == ["pending", "verified", "replaced"]


def test_a_rejection_needs_a_reason_and_is_kept(acme, alice, checker):
    account = submit(acme, alice)

    with pytest.raises(PayeeAccountInvalid) as refused:
        services.payee_account_reject(account=account, actor=checker, reason=" ")
    assert refused.value.field == "reason"

    rejected = services.payee_account_reject(
        account=account, actor=checker, reason="CNAPS code of another bank"
    )
    assert rejected.status == "rejected"
    assert rejected.changes.get(to_status="rejected").reason == "CNAPS code of another bank"


def test_owners_are_emailed_at_submission_and_verification_with_masked_numbers(
    acme, alice, fiona, checker, mailoutbox, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        old = services.payee_account_verify(account=submit(acme, fiona), actor=checker)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        new = submit(acme, fiona, account_number="6222009999998888", bank_name="Bank of Ningbo")
    with django_capture_on_commit_callbacks(execute=True):
        services.payee_account_verify(account=new, actor=checker)

    changed = [m for m in mailoutbox if "payee account of" in m.subject]
    assert [m.to for m in changed] == [["alice@acme.test"], ["alice@acme.test"]]  # the owners
    submitted, verified = (m.body for m in changed)
    assert "****7890 → ****8888" in submitted
    assert "Bank of Shanghai → Bank of Ningbo" in submitted
    assert "fiona@acme.test" in submitted
    assert "****8888" in verified
    assert "收款账户" in changed[0].subject  # both languages
    for text in (*[m.body for m in mailoutbox], caplog.text):
        assert "6222009999998888" not in text
        assert "6222001234567890" not in text
    assert old.pk != new.pk


def test_a_suspended_partner_changes_nothing(acme, alice):
    acme.status = "suspended"
    acme.save()

    with pytest.raises(PayoutNotAllowed):
        submit(acme, alice)
