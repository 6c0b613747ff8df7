"""Invitations: e-mail with a single-use expiring link; accepting links or creates the account."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from partners import services
from partners.exceptions import InvitationInvalid, PartnerConflict, PartnerNotAllowed
from partners.models import Invitation, Membership
from partners.selectors import token_hash
from tests.factories import UserFactory

PASSWORD = "a-Long-enough-pass-2026"


def _invite(acme, actor, email="dora@new.test", role="developer", capture=None):
    return services.invitation_create(partner=acme, email=email, role=role, actor=actor)


@pytest.mark.django_db
def test_an_invitation_stores_only_the_hash_of_its_token_and_mails_the_link(
    acme, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = _invite(acme, alice, email="Dora@New.test")

    assert invitation.token_hash == token_hash(token) != token
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert invitation.email == "dora@new.test"
    assert len(token) >= 40
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dora@new.test"]
    assert f"/invitations/{token}/" in mail.outbox[0].body
    assert invitation.expires_at - timezone.now() > timedelta(days=6)


@pytest.mark.django_db
def test_a_logged_in_user_with_the_invited_address_joins(client, acme, alice):
    dora = UserFactory(email="dora@new.test")
    _invitation, token = _invite(acme, alice)
    client.force_login(dora)

    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200
    assert "Acme Travel" in page.content.decode()
    response = client.post(f"/invitations/{token}/")

    assert response.status_code == 302
    assert Membership.objects.get(partner=acme, user=dora).role == "developer"
    assert EmailAddress.objects.get(user=dora, email="dora@new.test").verified


@pytest.mark.django_db
def test_a_visitor_without_an_account_sets_a_password_and_gets_a_verified_account(client, acme, alice):
    invitation, token = _invite(acme, alice, role="finance")

    page = client.get(f"/invitations/{token}/").content.decode()
    assert 'name="password1"' in page
    response = client.post(
        f"/invitations/{token}/", {"full_name": "Dora New", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 302
    membership = Membership.objects.select_related("user").get(partner=acme, user__email="dora@new.test")
    assert membership.role == "finance"
    assert membership.user.full_name == "Dora New"
    assert membership.user.check_password(PASSWORD)
    address = EmailAddress.objects.get(user=membership.user)
    assert address.verified
    assert address.primary
    invitation.refresh_from_db()
    assert invitation.accepted_by == membership.user
    assert invitation.state == "accepted"
    # logged in, and can log in again with the password through allauth
    assert client.get("/").wsgi_request.user == membership.user
    client.logout()
    login = client.post("/accounts/login/", {"login": "dora@new.test", "password": PASSWORD})
    assert login.status_code == 302


@pytest.mark.django_db
def test_a_weak_or_mismatched_password_is_refused_and_nothing_is_created(client, acme, alice):
    _invitation, token = _invite(acme, alice)

    weak = client.post(f"/invitations/{token}/", {"full_name": "D", "password1": "123", "password2": "123"})
    mismatch = client.post(
        f"/invitations/{token}/", {"full_name": "D", "password1": PASSWORD, "password2": PASSWORD + "x"}
    )

    assert weak.status_code == mismatch.status_code == 200
    assert "differ" in mismatch.content.decode()
    assert not Membership.objects.filter(user__email="dora@new.test").exists()


@pytest.mark.django_db
def test_a_user_logged_in_with_another_address_cannot_accept(client, acme, alice, charlie):
    _invitation, token = _invite(acme, alice)
    client.force_login(charlie)

    page = client.post(f"/invitations/{token}/")

    assert "charlie@other.test" in page.content.decode()
    assert not Membership.objects.filter(partner=acme, user=charlie).exists()
    with pytest.raises(PartnerNotAllowed):
        services.invitation_accept(token=token, user=charlie)


@pytest.mark.django_db
def test_an_existing_account_is_asked_to_log_in_first(client, acme, alice):
    UserFactory(email="dora@new.test")
    _invitation, token = _invite(acme, alice)

    page = client.get(f"/invitations/{token}/").content.decode()

    assert "/accounts/login/?next=" in page
    assert 'name="password1"' not in page


@pytest.mark.django_db
def test_an_expired_invitation_is_refused(client, acme, alice):
    _invitation, token = _invite(acme, alice)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        page = client.get(f"/invitations/{token}/")
        with pytest.raises(InvitationInvalid, match="expired"):
            services.invitation_accept(token=token, password=PASSWORD)

    assert page.status_code == 410
    assert "expired" in page.content.decode()
    assert not Membership.objects.filter(user__email="dora@new.test").exists()


@pytest.mark.django_db
def test_an_invitation_works_only_once(client, acme, alice):
    _invitation, token = _invite(acme, alice)
    services.invitation_accept(token=token, password=PASSWORD, full_name="Dora")

    with pytest.raises(InvitationInvalid, match="already been used"):
        services.invitation_accept(token=token, password=PASSWORD)
    page = client.get(f"/invitations/{token}/")

    assert page.status_code == 410
    assert Membership.objects.filter(user__email="dora@new.test").count() == 1


@pytest.mark.django_db
def test_an_unknown_token_is_a_404(client):
    assert client.get("/invitations/not-a-token/").status_code == 404


@pytest.mark.django_db
def test_inviting_again_revokes_the_earlier_link(acme, alice):
    _first, first_token = _invite(acme, alice)
    _second, second_token = _invite(acme, alice)

    with pytest.raises(InvitationInvalid, match="withdrawn"):
        services.invitation_accept(token=first_token, password=PASSWORD)
    services.invitation_accept(token=second_token, password=PASSWORD)


@pytest.mark.django_db
def test_a_revoked_invitation_is_refused(acme, alice):
    invitation, token = _invite(acme, alice)

    services.invitation_revoke(invitation=invitation, actor=alice)

    with pytest.raises(InvitationInvalid):
        services.invitation_accept(token=token, password=PASSWORD)


@pytest.mark.django_db
def test_who_may_invite_whom(acme, alice, bob, charlie, manager):
    admin = Membership.objects.create(
        partner=acme, user=UserFactory(email="adm@acme.test"), role="admin"
    ).user

    with pytest.raises(PartnerNotAllowed):
        _invite(acme, bob)  # a developer
    with pytest.raises(PartnerNotAllowed):
        _invite(acme, charlie)  # another partner's owner
    with pytest.raises(PartnerNotAllowed):
        _invite(acme, admin, role="owner")  # an admin cannot make owners
    _invite(acme, admin, email="x@new.test", role="viewer")
    _invite(acme, alice, email="y@new.test", role="owner")
    _invite(acme, manager, email="z@new.test", role="owner")  # staff


@pytest.mark.django_db
def test_a_member_cannot_be_invited_again(acme, alice, bob):
    with pytest.raises(PartnerConflict):
        _invite(acme, alice, email="BOB@acme.test")


@pytest.mark.django_db
def test_a_suspended_partner_cannot_accept_invitations(acme, alice, manager):
    _invitation, token = _invite(acme, alice)
    acme.status = "suspended"
    acme.save()

    with pytest.raises(InvitationInvalid, match="suspended"):
        services.invitation_accept(token=token, password=PASSWORD)


@pytest.mark.django_db
def test_the_e_mail_link_leads_to_a_working_page(
    client, acme, manager, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://portal.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        _invite(acme, manager)

    link = re.search(r"https://portal\.example\.com(/invitations/[^/\s]+/)", mail.outbox[0].body).group(1)

    assert client.get(link).status_code == 200


@pytest.mark.django_db
def test_the_invitation_page_speaks_chinese(client, acme, alice):
    _invitation, token = _invite(acme, alice)

    page = client.get(f"/invitations/{token}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()

    assert "创建账户并加入" in page
