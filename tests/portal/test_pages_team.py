"""The team page: invite, change roles, remove, transfer the ownership."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from partners.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def membership(user):
    return Membership.objects.get(user=user)


def test_the_owner_invites_a_teammate_by_e_mail(client, alice, acme, django_capture_on_commit_callbacks):
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:team"), {"email": "gina@acme.test", "role": "finance"})

    assert response["Location"] == reverse("portal:team")
    invitation = Invitation.objects.get(partner=acme)
    assert invitation.role == "finance"
    assert mail.outbox[-1].to == ["gina@acme.test"]
    assert "gina@acme.test" in client.get(reverse("portal:team")).content.decode()


def test_the_owner_changes_a_role(client, alice, bob):
    client.force_login(alice)

    client.post(reverse("portal:member-role", args=[membership(bob).pk]), {"role": "viewer"})

    assert membership(bob).role == "viewer"


def test_the_last_owner_cannot_be_demoted_and_is_told_why(client, alice, bob):
    Membership.objects.filter(user=bob).update(role="admin")
    client.force_login(bob)

    response = client.post(
        reverse("portal:member-role", args=[membership(alice).pk]), {"role": "viewer"}, follow=True
    )

    assert membership(alice).role == "owner"
    assert "Only an owner can change an owner" in response.content.decode()


def test_the_owner_removes_a_member(client, alice, bob):
    client.force_login(alice)

    client.post(reverse("portal:member-remove", args=[membership(bob).pk]))

    assert not Membership.objects.filter(user=bob).exists()


def test_the_owner_transfers_the_ownership(client, alice, bob):
    client.force_login(alice)

    client.post(reverse("portal:ownership-transfer", args=[membership(bob).pk]))

    assert membership(bob).role == "owner"
    assert membership(alice).role == "admin"


@pytest.mark.parametrize("persona", ["bob", "fiona", "victor"])
def test_members_who_do_not_manage_the_team_only_read_it(client, request, alice, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    page = client.get(reverse("portal:team")).content.decode()

    assert "alice@acme.test" in page
    assert "Send the invitation" not in page
    assert client.post(reverse("portal:team"), {"email": "x@acme.test", "role": "viewer"}).status_code == 403
    assert client.post(reverse("portal:member-remove", args=[membership(alice).pk])).status_code == 403
    assert Membership.objects.filter(user=alice).exists()


def test_a_member_of_another_partner_is_a_404(client, alice, charlie):
    client.force_login(alice)

    assert client.post(reverse("portal:member-remove", args=[membership(charlie).pk])).status_code == 404
    assert (
        client.post(
            reverse("portal:member-role", args=[membership(charlie).pk]), {"role": "viewer"}
        ).status_code
        == 404
    )
    assert membership(charlie).role == "owner"


@pytest.mark.parametrize("size", [1, 6])
def test_the_team_page_costs_the_same_queries_whatever_the_team(
    client, alice, acme, django_assert_num_queries, size
):
    from tests.portal.conftest import member

    for n in range(size):
        member(acme, f"m{n}@acme.test", "viewer")
    client.force_login(alice)

    # session, user, memberships, members, open invitations, the bell
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:team"))
    assert response.content.decode().count('<span class="muted">') == size + 1


def test_the_owner_withdraws_an_invitation(client, alice, acme):
    from partners import services

    invitation, _token = services.invitation_create(
        partner=acme, email="gina@acme.test", role="viewer", actor=alice, send=False
    )
    client.force_login(alice)

    client.post(reverse("portal:invitation-revoke", args=[invitation.pk]))

    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_another_partner_s_invitation_is_a_404(client, alice, charlie, other):
    from partners import services

    invitation, _token = services.invitation_create(
        partner=other, email="x@other.test", role="viewer", actor=charlie, send=False
    )
    client.force_login(alice)

    assert client.post(reverse("portal:invitation-revoke", args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
