"""Absolute links: e-mails link to the configured SITE_URL in the product's name, whatever host
the request came through; the getting-started commands use the host the user is on."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-2026!"


def test_the_confirmation_mail_links_to_the_site_in_the_product_name(client, settings):
    settings.SITE_URL = "https://portal.example.com"

    client.post(
        reverse("account_signup"),
        {"email": "new@company.test", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST="127.0.0.1",
    )

    body = mail.outbox[-1].body
    assert re.search(r"https://portal\.example\.com/accounts/confirm-email/\S+/", body)
    assert "127.0.0.1" not in body
    assert "Hello from Finance+N Partner Portal!" in body
    assert "portal.example.com" in body


def test_the_password_reset_mail_links_to_the_site(client, settings):
    from tests.factories import UserFactory

    settings.SITE_URL = "https://portal.example.com/"
    UserFactory(email="known@company.test")

    client.post(reverse("account_reset_password"), {"email": "known@company.test"}, HTTP_HOST="localhost")

    body = mail.outbox[-1].body
    assert "https://portal.example.com/accounts/password/reset/key/" in body
    assert "localhost" not in body


def test_the_staff_enrolment_mail_links_to_the_site(settings):
    from portal.enrolment import staff_enrolment_issue
    from tests.factories import StaffFactory

    settings.SITE_URL = "https://portal.example.com"

    link = staff_enrolment_issue(user=StaffFactory(email="new.staff@bank.test"))

    assert link.startswith("https://portal.example.com/accounts/enrol/")


def test_getting_started_uses_the_host_the_user_is_on(client, settings, alice):
    settings.SITE_URL = "https://portal.example.com"
    settings.ALLOWED_HOSTS = ["sandbox.bank.test"]
    client.force_login(alice)

    page = client.get(reverse("portal:getting-started"), HTTP_HOST="sandbox.bank.test").content.decode()

    assert "http://sandbox.bank.test/api/v1/me/" in page
    assert "portal.example.com" not in page
