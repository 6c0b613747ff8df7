"""Helpers of the browser journeys: staff with a TOTP authenticator (made directly, or enrolled
through the enrolment link in the browser), codes computed with the same algorithm as allauth
(RFC 6238), logging in through the real pages."""

from __future__ import annotations

import re
import time

from django.core import mail

PASSWORD = "a-Long-pass-2026!"


def staff_with_totp(email: str = "reviewer@bank.test"):
    """A superuser with a TOTP authenticator; returns ``(user, secret)``."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.factories import StaffFactory

    user = StaffFactory(email=email, is_superuser=True, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def staff_to_enrol(email: str = "new.reviewer@bank.test"):
    """A superuser without an authenticator and the path of their enrolment link (what the
    e-mail sent on creation carries)."""
    from allauth.account.models import EmailAddress

    from portal.enrolment import staff_enrolment_issue
    from tests.factories import StaffFactory

    user = StaffFactory(email=email, is_superuser=True, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    link = staff_enrolment_issue(user=user)
    return user, "/" + link.split("/", 3)[3]


def enrol_in_browser(page, email: str, link_path: str, password: str = PASSWORD) -> str:
    """Enrol as a new staff member does: open the link, log in, confirm, give the password
    again (allauth asks before adding an authenticator), read the secret the setup page shows
    and activate the app with a code. Returns the secret."""
    page.goto(link_path)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")  # "Set up my authenticator app"
    if "/reauthenticate/" in page.url:
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
    secret = page.input_value("#authenticator_secret")
    page.fill("input[name=code]", totp_code(secret))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return secret


_USED_CODES: set[tuple[str, int]] = set()


def totp_code(secret: str) -> str:
    """The current code of ``secret``, as a person would type it: never one about to expire
    (allauth accepts only the current 30-second window) and never one already used (allauth
    refuses a replayed code), waiting for the next window when needed."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    while True:
        now = time.time()
        counter = int(now) // 30
        if now - counter * 30 > 25 or (secret, counter) in _USED_CODES:
            time.sleep((counter + 1) * 30 - now + 0.1)
            continue
        _USED_CODES.add((secret, counter))
        return format_hotp_value(hotp_value(secret, counter))


def log_in(
    page, email: str, password: str = PASSWORD, *, totp_secret: str | None = None, next_url: str = ""
) -> None:
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    if totp_secret:
        page.fill("input[name=code]", totp_code(totp_secret))
        with page.expect_navigation():
            page.click("form button[type=submit]")


def confirmation_link(address: str) -> str:
    """The e-mail confirmation link last sent to ``address`` (the locmem outbox)."""
    for message in reversed(mail.outbox):
        if address in message.to:
            found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
            if found:
                return found.group(0)
    raise AssertionError(f"no confirmation e-mail to {address}")


def portal_user(partner, email: str, role: str):
    """A member of ``partner`` with a verified address and the journeys' password."""
    from allauth.account.models import EmailAddress

    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    MembershipFactory(partner=partner, user=user, role=role)
    return user
