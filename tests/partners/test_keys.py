"""API key services and commands: issue (shown once, SHA-512), rotate, revoke, change rows,
who may do it, the expiry policy."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from partners.exceptions import ApiKeyInvalid, DocumentsNotValid, PartnerNotActive, PartnerNotAllowed
from partners.models import PartnerAPIKey, PartnerAPIKeyEvent, PartnerDocument
from partners.services import api_key_issue, api_key_revoke, api_key_rotate
from tests.api.factories import api_partner, issue
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return api_partner("acme-travel")


def test_it_stores_only_the_sha512_of_a_high_entropy_key(acme):
    issued = issue(acme)
    stored = PartnerAPIKey.objects.get(pk=issued.api_key.pk)
    prefix, _, secret = issued.key.partition(".")
    assert prefix == stored.prefix
    assert prefix.startswith("fnk_")
    assert len(prefix) == 12
    assert len(secret) == 40
    assert stored.hashed_key == "sha512$$" + hashlib.sha512(issued.key.encode()).hexdigest()
    assert secret not in stored.id
    assert secret not in stored.hashed_key


def test_issue_leaves_a_change_row_and_uses_the_default_lifetime(acme, settings):
    issued = issue(acme)
    lifetime = issued.api_key.expiry_date - timezone.now()
    assert (
        settings.API_KEY_DEFAULT_LIFETIME - timedelta(minutes=1)
        < lifetime
        <= settings.API_KEY_DEFAULT_LIFETIME
    )
    event = PartnerAPIKeyEvent.objects.get(key=issued.api_key)
    assert event.action == "issued"


def test_it_refuses_a_lifetime_beyond_the_maximum(acme, settings):
    with pytest.raises(ApiKeyInvalid) as error:
        issue(acme, expires_at=timezone.now() + settings.API_KEY_MAX_LIFETIME + timedelta(days=1))
    assert error.value.field == "expires_at"


@pytest.mark.parametrize("scopes", [[], ["read", "admin"]])
def test_it_refuses_unknown_or_no_scopes(acme, scopes):
    with pytest.raises(ApiKeyInvalid) as error:
        issue(acme, scopes=scopes)
    assert error.value.field == "scopes"


@pytest.mark.parametrize("status", ["draft", "approved", "suspended", "terminated"])
def test_it_refuses_keys_to_a_partner_that_is_not_active(status):
    partner = api_partner("sleepy", status=status)
    with pytest.raises(PartnerNotActive):
        issue(partner)
    assert not PartnerAPIKey.objects.exists()


def test_it_refuses_keys_to_a_partner_with_an_expired_document(acme):
    PartnerDocument.objects.filter(partner=acme, document_type="authorisation_letter").update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(DocumentsNotValid) as error:
        issue(acme)
    assert "Authorisation letter" in error.value.message


def test_owners_admins_and_developers_issue_keys_viewers_and_charlie_do_not(acme):
    bob = MembershipFactory(partner=acme, user=UserFactory(email="bob@acme.test"), role="developer").user
    viewer = MembershipFactory(partner=acme, user=UserFactory(email="vic@acme.test"), role="viewer").user
    charlie = MembershipFactory(partner=PartnerFactory(slug="other"), user=UserFactory(email="c@o.test")).user
    assert api_key_issue(partner=acme, actor=bob, name="ERP", scopes=["read"]).api_key.created_by == bob
    for actor in (viewer, charlie):
        with pytest.raises(PartnerNotAllowed):
            api_key_issue(partner=acme, actor=actor, name="ERP", scopes=["read"])


def test_rotation_makes_a_twin_and_ends_the_old_key_after_the_overlap(acme):
    old = issue(acme, scopes=["read", "offers"])
    now = timezone.now()
    new = api_key_rotate(api_key=old.api_key, actor=None, overlap=timedelta(hours=3))
    old.api_key.refresh_from_db()
    assert new.api_key.rotated_from == old.api_key
    assert new.api_key.scopes == ["offers", "read"]
    assert new.api_key.name == old.api_key.name
    assert timedelta(hours=2, minutes=59) < old.api_key.expiry_date - now <= timedelta(hours=3, seconds=5)
    assert old.api_key.state == "rotating"
    actions = set(PartnerAPIKeyEvent.objects.values_list("key__prefix", "action"))
    assert actions == {
        (old.api_key.prefix, "issued"),
        (old.api_key.prefix, "rotated"),
        (new.api_key.prefix, "issued"),
    }
    with pytest.raises(ApiKeyInvalid):
        api_key_rotate(api_key=old.api_key, actor=None)


def test_revoke_needs_a_reason_and_cannot_be_undone(acme):
    issued = issue(acme)
    with pytest.raises(ApiKeyInvalid):
        api_key_revoke(api_key=issued.api_key, actor=None, reason=" ")
    api_key_revoke(api_key=issued.api_key, actor=None, reason="leaked")
    stored = PartnerAPIKey.objects.get(pk=issued.api_key.pk)
    assert stored.revoked
    assert stored.revoked_at
    assert stored.state == "revoked"
    assert PartnerAPIKeyEvent.objects.filter(key=stored, action="revoked", reason="leaked").exists()
    with pytest.raises(ApiKeyInvalid):
        api_key_revoke(api_key=stored, actor=None, reason="again")
    with pytest.raises(ApiKeyInvalid):
        api_key_rotate(api_key=stored, actor=None)


def test_issue_api_key_prints_the_key_once_alone_on_the_last_line(acme):
    out = StringIO()
    call_command(
        "issue_api_key",
        "acme-travel",
        "--name",
        "ERP",
        "--scopes",
        "read,offers",
        "--expires-days",
        "30",
        stdout=out,
    )
    lines = out.getvalue().strip().splitlines()
    key = lines[-1]
    stored = PartnerAPIKey.objects.get()
    assert key.startswith(stored.prefix + ".")
    assert stored.hashed_key == "sha512$$" + hashlib.sha512(key.encode()).hexdigest()
    assert key not in "\n".join(lines[:-1])
    assert stored.scopes == ["offers", "read"]
    assert timedelta(days=29) < stored.expiry_date - timezone.now() <= timedelta(days=30)


def test_issue_api_key_explains_a_refusal(acme):
    with pytest.raises(CommandError, match="No partner"):
        call_command("issue_api_key", "nobody", "--name", "x", "--scopes", "read")
    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("issue_api_key", "acme-travel", "--name", "x", "--scopes", "write")


def test_revoke_api_key_revokes_by_prefix(acme):
    issued = issue(acme)
    out = StringIO()
    call_command("revoke_api_key", issued.api_key.prefix, stdout=out)
    assert PartnerAPIKey.objects.get().revoked
    assert issued.api_key.prefix in out.getvalue()
    with pytest.raises(CommandError):
        call_command("revoke_api_key", "fnk_nothere")
