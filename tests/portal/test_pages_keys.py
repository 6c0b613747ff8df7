"""API key pages: create (shown once), rotate, revoke, usage per key; who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import ApiUsage, PartnerAPIKey
from tests.api.factories import issue, verified_documents

pytestmark = pytest.mark.django_db


def new_key(client, **overrides):
    data = {
        "name": "ERP",
        "channel": "erp",
        "scopes": ["read", "offers"],
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }
    return client.post(reverse("portal:key-create"), {**data, **overrides})


def test_a_developer_creates_a_key_shown_once(client, bob, documented):
    client.force_login(bob)

    posted = new_key(client)

    # Post, redirect, get: the page that shows the key is a GET of a one-time token.
    assert posted.status_code == 302
    assert posted["Location"].startswith("/portal/keys/issued/") or "/keys/issued/" in posted["Location"]
    assert PartnerAPIKey.objects.get(partner=documented).prefix not in posted["Location"]
    response = client.get(posted["Location"])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    api_key = PartnerAPIKey.objects.get(partner=documented)
    page = response.content.decode()
    assert api_key.prefix in page
    assert "shown only this once" in page
    assert sorted(api_key.scopes) == ["offers", "read"]
    assert api_key.channel == "erp"
    # Gone for good: the list shows the prefix only.
    listing = client.get(reverse("portal:keys")).content.decode()
    assert api_key.prefix in listing
    shown = page.split('data-testid="new-key">')[1].split("<")[0]
    assert shown.startswith(api_key.prefix)
    assert len(shown) > 40
    assert shown not in listing


def test_reloading_the_new_key_page_shows_no_key_and_issues_no_second_key(client, bob, documented):
    client.force_login(bob)
    shown_at = new_key(client)["Location"]
    first = client.get(shown_at).content.decode()
    secret = first.split('data-testid="new-key">')[1].split("<")[0]

    reload = client.get(shown_at, follow=True)

    assert reload.redirect_chain == [(reverse("portal:keys"), 302)]
    page = reload.content.decode()
    assert secret not in page
    assert "shown only once, and this one was" in page
    assert PartnerAPIKey.objects.filter(partner=documented).count() == 1


def test_the_new_key_is_kept_encrypted_in_the_session_until_shown(client, bob, documented):
    client.force_login(bob)

    new_key(client)

    api_key = PartnerAPIKey.objects.get(partner=documented)
    kept = str(client.session["show_once"])
    assert api_key.prefix not in kept


def test_another_user_cannot_open_the_new_key_page(client, bob, alice, documented):
    client.force_login(bob)
    shown_at = new_key(client)["Location"]
    client.force_login(alice)  # a new session: the token is bob's alone

    response = client.get(shown_at)

    assert response.status_code == 302
    assert 'data-testid="new-key"' not in client.get(response["Location"]).content.decode()


def test_a_key_needs_valid_documents(client, alice, acme):
    client.force_login(alice)

    response = new_key(client)

    assert response.status_code == 200
    assert "A required document is missing" in response.content.decode()
    assert not PartnerAPIKey.objects.exists()


def test_an_expiry_beyond_the_maximum_is_refused_on_its_field(client, alice, documented):
    client.force_login(alice)

    response = new_key(client, expires_on=(timezone.localdate() + timedelta(days=2000)).isoformat())

    assert "A key lives at most" in response.content.decode()
    assert not PartnerAPIKey.objects.exists()


def test_rotating_issues_a_new_key_and_keeps_the_old_one_for_the_overlap(client, alice, documented):
    old = issue(documented).api_key
    client.force_login(alice)

    posted = client.post(reverse("portal:key-rotate", args=[old.prefix]))

    assert posted.status_code == 302
    response = client.get(posted["Location"])
    new = PartnerAPIKey.objects.get(rotated_from=old)
    assert new.prefix in response.content.decode()
    assert f"It replaces {old.prefix}" in response.content.decode()
    assert client.get(posted["Location"]).status_code == 302  # a reload shows nothing
    assert PartnerAPIKey.objects.filter(rotated_from=old).count() == 1
    old.refresh_from_db()
    assert old.rotated_at is not None
    assert old.is_usable
    assert old.expiry_date <= timezone.now() + timedelta(hours=25)


def test_revoking_needs_a_reason_and_stops_the_key(client, alice, documented):
    api_key = issue(documented).api_key
    client.force_login(alice)

    assert client.post(reverse("portal:key-revoke", args=[api_key.prefix]), {"reason": ""}).status_code == 200
    response = client.post(reverse("portal:key-revoke", args=[api_key.prefix]), {"reason": "leaked in a log"})

    assert response["Location"] == reverse("portal:keys")
    api_key.refresh_from_db()
    assert api_key.revoked


def test_another_partner_s_key_is_a_404(client, alice, documented, other):
    verified_documents(other)
    foreign = issue(other).api_key
    client.force_login(alice)

    assert client.get(reverse("portal:key-rotate", args=[foreign.prefix])).status_code == 404
    assert (
        client.post(reverse("portal:key-revoke", args=[foreign.prefix]), {"reason": "x"}).status_code == 404
    )
    foreign.refresh_from_db()
    assert not foreign.revoked


@pytest.mark.parametrize("persona", ["fiona", "victor"])
def test_finance_and_viewers_cannot_create_rotate_or_revoke(client, request, documented, persona):
    api_key = issue(documented).api_key
    client.force_login(request.getfixturevalue(persona))

    assert new_key(client).status_code == 403
    assert client.post(reverse("portal:key-rotate", args=[api_key.prefix])).status_code == 403
    assert (
        client.post(reverse("portal:key-revoke", args=[api_key.prefix]), {"reason": "x"}).status_code == 403
    )
    assert PartnerAPIKey.objects.count() == 1


def test_an_outsider_is_sent_away(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="nobody@x.test"))

    assert client.get(reverse("portal:keys"))["Location"] == reverse("portal:apply")


@pytest.mark.parametrize("size", [1, 5])
def test_the_key_list_costs_the_same_queries_whatever_the_data(
    client, alice, documented, django_assert_num_queries, size
):
    for n in range(size):
        api_key = issue(documented, name=f"key {n}").api_key
        ApiUsage.objects.create(
            key=api_key, partner=documented, day=timezone.localdate(), endpoint="me", calls=7, errors=2
        )
    client.force_login(alice)

    # session, user, memberships, usage per key, keys, the bell
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:keys"))
    assert response.content.decode().count(">7<") == size
