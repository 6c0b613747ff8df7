"""Staff set up their authenticator app only through a one-time enrolment link (signed,
expiring, single use) mailed to their address: the password alone shows no TOTP secret and
reaches neither the admin nor the staff console."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.enrolment import staff_enrolment_issue
from tests.e2e.helpers import staff_with_totp, totp_code
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-2026!"
ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture
def mfa_rule(settings):
    settings.STAFF_MFA_REQUIRED = True


def new_staff(email: str = "new.staff@bank.test", **fields):
    user = StaffFactory(email=email, password=PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def log_in(client, user) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def reauthenticate(client) -> None:
    """allauth asks for the password again before any authenticator is added."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_the_password_alone_shows_no_totp_secret(client):
    staff = new_staff()
    log_in(client, staff)
    reauthenticate(client)

    response = client.get(ACTIVATE)

    assert response.status_code == 403
    page = response.content.decode()
    assert "otpauth://" not in page
    assert "enrolment link" in page
    assert SECRET_SESSION_KEY not in client.session
    assert client.post(ACTIVATE, {"code": "123456"}).status_code == 403
    assert not Authenticator.objects.filter(user=staff).exists()


def test_staff_without_an_authenticator_reach_neither_the_admin_nor_the_console(client, mfa_rule):
    staff = new_staff(is_superuser=True)
    log_in(client, staff)

    for path in ("/admin/", "/staff/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "enrolment link" in response.content.decode()


def test_partner_users_still_set_up_an_authenticator_themselves(client):
    user = UserFactory(email="alice@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    log_in(client, user)
    reauthenticate(client)

    response = client.get(ACTIVATE)

    assert response.status_code == 200
    assert client.session[SECRET_SESSION_KEY] in response.content.decode()


def test_the_link_with_the_password_opens_the_setup_and_then_the_admin(client, mfa_rule):
    staff = new_staff(is_superuser=True)
    link = path_of(staff_enrolment_issue(user=staff))

    assert client.get(link)["Location"].startswith(reverse("account_login"))  # log in first
    log_in(client, staff)
    assert client.get(link).status_code == 200  # a GET does not use it (mail scanners)
    assert client.post(link)["Location"] == reverse("mfa_activate_totp")
    reauthenticate(client)
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()

    client.post(ACTIVATE, {"code": totp_code(secret)})

    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200  # password, mailbox and app: enrolled


def test_a_link_works_once(client):
    staff = new_staff()
    link = path_of(staff_enrolment_issue(user=staff))
    log_in(client, staff)
    client.post(link)

    other_session = Client()
    log_in(other_session, staff)
    response = other_session.post(link)

    assert response.status_code == 410
    assert "already used" in response.content.decode()
    assert other_session.get(ACTIVATE).status_code == 403


def test_a_new_link_replaces_the_last(client):
    staff = new_staff()
    old = path_of(staff_enrolment_issue(user=staff))
    staff_enrolment_issue(user=staff)
    log_in(client, staff)

    assert client.post(old).status_code == 410


def test_an_expired_link_is_refused(client, settings):
    staff = new_staff()
    link = path_of(staff_enrolment_issue(user=staff))
    log_in(client, staff)

    with time_machine.travel(
        timezone.now() + timedelta(hours=settings.STAFF_ENROLMENT_LINK_HOURS, minutes=1)
    ):
        response = client.post(link)

    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_forged_link_is_refused(client):
    staff = new_staff()
    link = path_of(staff_enrolment_issue(user=staff))
    log_in(client, staff)

    assert client.post(link[:-6] + "xxxxx/").status_code == 410


def test_a_link_for_another_account_is_refused(client):
    staff = new_staff()
    link = path_of(staff_enrolment_issue(user=staff))
    intruder = new_staff(email="intruder@bank.test")
    log_in(client, intruder)

    response = client.post(link)

    assert response.status_code == 403
    assert client.get(ACTIVATE).status_code == 403


def test_making_an_account_staff_in_the_admin_mails_its_enrolment_link(client):
    admin_user = StaffFactory(email="root@bank.test", is_superuser=True)
    user = UserFactory(email="promoted@bank.test", password=PASSWORD)
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:portal_user_change", args=[user.pk]),
        {
            "email": user.email,
            "full_name": "Promoted",
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert mail.outbox[-1].to == ["promoted@bank.test"]
    link = re.search(r"https?://\S+/accounts/enrol/\S+/", mail.outbox[-1].body).group(0)
    promoted = Client()
    log_in(promoted, user)
    assert promoted.post(path_of(link))["Location"] == reverse("mfa_activate_totp")


def test_resetting_two_factor_removes_the_app_and_mails_a_new_link(client):
    admin_user = StaffFactory(email="root@bank.test", is_superuser=True)
    staff, _secret = staff_with_totp()
    client.force_login(admin_user)

    client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [staff.pk]},
    )

    assert not Authenticator.objects.filter(user=staff).exists()
    assert mail.outbox[-1].to == [staff.email]
    assert "/accounts/enrol/" in mail.outbox[-1].body


def test_sending_a_link_skips_staff_who_already_have_an_app(client):
    admin_user = StaffFactory(email="root@bank.test", is_superuser=True)
    enrolled, _secret = staff_with_totp()
    waiting = new_staff()
    client.force_login(admin_user)

    client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "send_enrolment_link", "_selected_action": [enrolled.pk, waiting.pk]},
    )

    assert [m.to for m in mail.outbox] == [[waiting.email]]


def test_staff_cannot_change_their_address_themselves(client):
    staff = new_staff()
    log_in(client, staff)

    client.post(reverse("account_email"), {"action_add": "", "email": "attacker@evil.test"})

    assert not EmailAddress.objects.filter(email="attacker@evil.test").exists()


def test_the_command_prints_a_link_for_a_staff_member(client):
    staff = new_staff()
    out = StringIO()

    call_command("staff_enrolment_link", staff.email, stdout=out)

    log_in(client, staff)
    assert client.post(path_of(out.getvalue().strip()))["Location"] == reverse("mfa_activate_totp")
