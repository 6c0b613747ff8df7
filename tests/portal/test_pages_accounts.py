"""Accounts: sign-up with mandatory e-mail verification, no account enumeration, allauth pages
in the portal layout, and the staff two-factor rule for the admin."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.e2e.helpers import staff_with_totp, totp_code
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-2026!"


@pytest.fixture
def mfa_rule(settings):
    settings.STAFF_MFA_REQUIRED = True


def test_sign_up_sends_a_verification_e_mail_and_does_not_log_in(client):
    response = client.post(
        reverse("account_signup"), {"email": "new@company.test", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert mail.outbox[-1].to == ["new@company.test"]
    assert "/accounts/confirm-email/" in mail.outbox[-1].body
    assert client.get(reverse("portal:dashboard")).status_code == 302  # not logged in


def test_signing_up_with_a_taken_address_looks_the_same_as_a_new_one(client):
    UserFactory(email="taken@company.test")

    response = client.post(
        reverse("account_signup"),
        {"email": "taken@company.test", "password1": PASSWORD, "password2": PASSWORD},
    )

    # No enumeration: the same answer; the owner of the address is told by e-mail instead.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_password_reset_answers_the_same_for_unknown_addresses(client):
    known = client.post(reverse("account_reset_password"), {"email": UserFactory(email="k@x.test").email})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@x.test"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_allauth_pages_use_the_portal_layout(client):
    page = client.get(reverse("account_login")).content.decode()

    assert 'class="topbar"' in page
    assert 'id="language-select"' in page


def test_repeated_failed_logins_are_rate_limited(client):
    UserFactory(email="target@x.test")
    pages = [
        client.post(reverse("account_login"), {"login": "target@x.test", "password": "wrong-one-1"})
        for _ in range(6)
    ]

    assert "Too many failed login attempts" not in pages[0].content.decode()
    assert "Too many failed login attempts" in pages[-1].content.decode()


def test_staff_without_an_authenticator_are_told_to_use_their_enrolment_link(client, mfa_rule):
    client.force_login(StaffFactory(email="staff@bank.test"))

    response = client.get("/admin/")

    # Not the setup page: the password alone never shows a TOTP secret (test_staff_enrolment).
    assert response.status_code == 403
    assert "enrolment link" in response.content.decode()
    assert "otpauth://" not in response.content.decode()


def test_anonymous_visitors_of_the_admin_use_the_portal_login(client, mfa_rule):
    response = client.get("/admin/partners/")

    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Fpartners%2F"


def test_staff_with_an_authenticator_who_skipped_it_must_pass_it(client, mfa_rule):
    staff, _secret = staff_with_totp()
    client.force_login(staff)  # no code entered in this session

    assert client.get("/admin/")["Location"].startswith(reverse("mfa_reauthenticate"))


def test_staff_reach_the_admin_after_logging_in_with_their_code(client, mfa_rule):
    staff, secret = staff_with_totp()

    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert client.get("/admin/").status_code == 200


def test_partner_users_are_not_asked_for_a_second_factor(client, mfa_rule, alice):
    client.force_login(alice)

    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_account_pages_link_to_e_mail_password_and_two_factor(client, alice):
    client.force_login(alice)

    page = client.get(reverse("account_email")).content.decode()

    assert reverse("account_change_password") in page
    assert reverse("mfa_index") in page
