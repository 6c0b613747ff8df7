"""Staff have one login, allauth's: the admin's password forms send there, and failed logins
lock the account and the client address (django-axes) in a store every process shares."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from tests import worker
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-2026!"
LOGIN = "/accounts/login/"


@pytest.fixture
def lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3


def staff(email: str = "staff@bank.test"):
    user = StaffFactory(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def log_in(client, email: str, password: str, address: str = "10.0.0.1"):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=address)


def page(response) -> str:
    """The page without its per-request CSRF token and CSP nonces."""
    return re.sub(
        r'"X-CSRFToken": "[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"|Nonce": "[^"]*"',
        "",
        response.content.decode(),
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_login_sends_to_the_portal_login_keeping_next(client):
    response = client.get("/admin/login/?next=/admin/partners/")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Fpartners%2F"


def test_the_admin_login_form_never_checks_a_password(client):
    user = staff()

    response = client.post("/admin/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not logged_in(client)


def test_a_logged_in_partner_user_is_refused_the_admin_without_a_redirect_loop(client):
    client.force_login(UserFactory(email="alice@acme.test"))

    assert client.get("/admin/", follow=True).status_code == 403


def test_the_admin_password_change_form_sends_to_allauths(client):
    client.force_login(staff())

    response = client.post("/admin/password_change/", {"old_password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")


def test_wrong_passwords_lock_the_account_and_then_refuse_the_right_one_too(client, lockout):
    user = staff()
    answers = [log_in(client, user.email, "wrong-pass-1") for _ in range(3)]
    assert answers[0].status_code == 200  # the form again, with its error
    assert answers[-1].status_code == 429

    right = log_in(client, user.email, PASSWORD)
    wrong = log_in(client, user.email, "wrong-pass-2")

    # The same answer for the right and a wrong password: no oracle while locked.
    assert right.status_code == wrong.status_code == 429
    assert page(right) == page(wrong)
    assert "Too many failed logins" in page(right)
    assert not logged_in(client)


def test_the_lockout_counts_the_account_whatever_the_case_of_its_address(client, lockout):
    user = staff(email="mixed@bank.test")
    for index, spelling in enumerate(["MIXED@bank.test", "Mixed@Bank.test", "mixed@BANK.TEST"]):
        log_in(client, spelling, "wrong-pass-1", address=f"10.0.1.{index}")

    assert log_in(client, user.email, PASSWORD, address="10.0.2.1").status_code == 429


def test_the_account_stays_locked_from_another_address(client, lockout):
    user = staff()
    for index in range(3):
        log_in(client, user.email, "wrong-pass-1", address=f"10.0.0.{index + 1}")

    assert log_in(client, user.email, PASSWORD, address="192.0.2.44").status_code == 429
    assert not logged_in(client)


def test_failures_from_one_address_lock_that_address_for_every_account(client, lockout):
    for index in range(3):
        log_in(client, f"guess-{index}@bank.test", "wrong-pass-1", address="10.6.6.6")
    other = staff(email="other@bank.test")

    assert log_in(client, other.email, PASSWORD, address="10.6.6.6").status_code == 429
    assert log_in(client, other.email, PASSWORD, address="10.7.7.7").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, lockout, settings):
    # A real wait (not a patched clock): Redis expires the counts on its own clock.
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    user = staff()
    for _ in range(3):
        log_in(client, user.email, "wrong-pass-1")
    assert log_in(client, user.email, PASSWORD).status_code == 429

    time.sleep(2.1)  # the failure just above started the cool-off again
    response = log_in(client, user.email, PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


def test_a_partner_users_right_password_still_logs_in_below_the_limit(client, lockout):
    user = UserFactory(email="alice@acme.test", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    log_in(client, user.email, "wrong-pass-1")

    assert log_in(client, user.email, PASSWORD).status_code == 302


def test_reauthentication_counts_towards_the_lockout_too(client, lockout):
    user = staff()
    session = Client()
    session.force_login(user)
    for _ in range(3):
        session.post(reverse("account_reauthenticate"), {"password": "wrong-pass-1"}, REMOTE_ADDR="10.0.0.9")

    assert log_in(client, user.email, PASSWORD, address="10.0.0.10").status_code == 429


CHECK_FROM_ANOTHER_PROCESS = textwrap.dedent(
    """
    import django
    django.setup()
    from django.test import Client
    response = Client().post(
        "/accounts/login/", {"login": "staff@bank.test", "password": "a-Long-pass-2026!"},
        REMOTE_ADDR="198.51.100.7",
    )
    print(response.status_code)
    """
)


@pytest.mark.django_db(transaction=True)
def test_a_lockout_reaches_every_web_process(client, lockout):
    # Another process shares nothing with this one but the database and the cache service:
    # the lockout must live there, not in this process's memory.
    user = staff()
    for _ in range(3):
        log_in(client, user.email, "wrong-pass-1")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": worker.test_database_url(),
        "LOGIN_FAILURE_LIMIT": "3",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHECK_FROM_ANOTHER_PROCESS],
        cwd=worker.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "429"
