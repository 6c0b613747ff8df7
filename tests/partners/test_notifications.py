"""The notification centre's one way in (``partners.notifications.notify``): after commit
only, to the roles each kind goes to, e-mail per preference, the daily digest, once keys."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.utils.translation import override

from partners import services
from partners.models import Notification, NotificationPreference
from partners.notifications import KINDS, Notice, notify
from tests.factories import MembershipFactory, PartnerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    partner = PartnerFactory(display_name="Acme Travel")
    members = {
        role: MembershipFactory(partner=partner, role=role, user=UserFactory(email=f"{role}@acme.test")).user
        for role in ("owner", "admin", "developer", "finance", "viewer")
    }
    return partner, members


def _recipients(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__email", flat=True))


def test_it_writes_nothing_when_the_change_rolls_back(team, django_capture_on_commit_callbacks):
    partner, _members = team
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify(kind="statement.ready", partner=partner, params={"statement": "S-1"})
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert not Notification.objects.exists()


def test_it_writes_only_after_commit(team, django_capture_on_commit_callbacks):
    partner, _members = team
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(kind="statement.ready", partner=partner, params={"statement": "S-1"})
        assert not Notification.objects.exists()
    for callback in callbacks:
        callback()
    assert Notification.objects.count() == 2


@pytest.mark.parametrize(
    ("kind", "roles"),
    [
        ("statement.ready", {"owner", "finance"}),
        ("dispute.resolved", {"owner", "finance"}),
        ("agreement.sent", {"owner", "finance"}),
        ("key.expiring", {"owner", "admin", "developer"}),
        ("webhook.failing", {"owner", "admin", "developer"}),
        ("quota.80", {"owner", "admin", "developer"}),
        ("participation.invited", {"owner", "admin", "developer"}),
        ("document.expiring", {"owner", "admin"}),
    ],
)
def test_each_kind_goes_to_its_roles(team, kind, roles, django_capture_on_commit_callbacks):
    partner, _members = team
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind=kind, partner=partner, params={})
    assert _recipients(kind) == {f"{role}@acme.test" for role in roles}
    assert set(Notification.objects.values_list("partner_id", flat=True)) == {partner.pk}


def test_an_inactive_member_and_another_partner_get_nothing(team, django_capture_on_commit_callbacks):
    partner, members = team
    members["finance"].is_active = False
    members["finance"].save()
    MembershipFactory(role="owner", user=UserFactory(email="charlie@other.test"))
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="statement.ready", partner=partner)
    assert _recipients("statement.ready") == {"owner@acme.test"}


def test_staff_kinds_go_to_staff_holding_the_permission(
    team, staff_roles, django_capture_on_commit_callbacks
):
    partner, _members = team
    boss = StaffFactory(email="root@bank.test", is_superuser=True)
    StaffFactory(email="clerk@bank.test")  # staff without the permission
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="dispute.opened", partner=partner, params={"statement": "S-1", "reason": "wrong rate"})
    assert _recipients("dispute.opened") == {boss.email}
    row = Notification.objects.get()
    assert row.partner_id is None  # staff's own, never in the partner's list
    assert row.params["partner"] == "Acme Travel"


def test_staff_kinds_go_to_the_users_given(team, django_capture_on_commit_callbacks):
    partner, _members = team
    rm = StaffFactory(email="rm@bank.test")
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="participation.left", partner=partner, users=[rm], params={"scenario": "Trips"})
    assert _recipients("participation.left") == {"rm@bank.test"}


def test_it_never_raises_into_the_caller(team, django_capture_on_commit_callbacks, caplog):
    partner, _members = team
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="no.such.kind", partner=partner)
        notify(kind="statement.ready", partner=partner, target=object())
    assert not Notification.objects.exists()
    assert "not written" in caplog.text


def test_the_message_renders_in_the_readers_language(team, django_capture_on_commit_callbacks):
    partner, members = team
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            kind="dispute.resolved",
            partner=partner,
            params={"statement": "S-7", "amount": "¥12.50"},
        )
    notice = Notice(Notification.objects.get(recipient=members["owner"]))
    with override("en"):
        assert notice.message == (
            "Your dispute of statement S-7 was resolved: the bank approved an adjustment of ¥12.50, "
            "carried by your next statement."
        )
    with override("zh-hans"):
        assert "S-7" in notice.message
        assert "¥12.50" in notice.message
        assert "resolved" not in notice.message


def test_every_kind_of_the_contract_is_registered():
    contract = {
        "statement.ready", "statement.approved", "statement.paid", "dispute.received", "dispute.proposed",
        "dispute.resolved", "agreement.sent", "agreement.superseded", "participation.invited",
        "participation.approved", "participation.declined", "scenario.version_published", "key.expiring",
        "document.expiring", "webhook.failing", "webhook.disabled", "quota.80", "quota.100",
        "agreement.accepted", "agreement.declined", "participation.left", "dispute.opened",
    }  # fmt: skip
    assert contract <= set(KINDS)


def test_immediate_mail_goes_once_to_those_who_chose_it(team, django_capture_on_commit_callbacks):
    partner, members = team
    NotificationPreference.objects.create(
        user=members["finance"], kind="statement.approved", delivery="immediate"
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="statement.approved", partner=partner, params={"statement": "S-3", "amount": "¥5.00"})
    assert [m.to for m in mail.outbox] == [["finance@acme.test"]]
    assert "S-3" in mail.outbox[0].body
    assert "¥5.00" in mail.outbox[0].body
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert services.notification_email_send(notification_ids=ids) == 0  # never twice
    assert len(mail.outbox) == 1


def test_portal_only_sends_no_mail(team, django_capture_on_commit_callbacks):
    partner, members = team
    for user in members.values():
        NotificationPreference.objects.create(user=user, kind="statement.ready", delivery="portal")
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="statement.ready", partner=partner)
    assert mail.outbox == []
    assert Notification.objects.count() == 2


def test_the_digest_gathers_a_day_in_one_mail_once(team, django_capture_on_commit_callbacks):
    partner, members = team
    NotificationPreference.objects.create(user=members["owner"], kind="statement.approved", delivery="digest")
    NotificationPreference.objects.create(user=members["owner"], kind="dispute.proposed", delivery="digest")
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="statement.approved", partner=partner, params={"statement": "S-1"})
        notify(kind="statement.approved", partner=partner, params={"statement": "S-2"})
        notify(kind="dispute.proposed", partner=partner, params={"statement": "S-1", "amount": "¥1.00"})
    assert mail.outbox == []
    assert services.notification_digest_send() == 1
    assert [m.to for m in mail.outbox] == [["owner@acme.test"]]
    body = mail.outbox[0].body
    assert "S-1" in body
    assert "S-2" in body
    assert "¥1.00" in body
    assert services.notification_digest_send() == 0  # the second run of the day finds nothing
    assert len(mail.outbox) == 1


def test_once_keys_keep_one_per_recipient(team, django_capture_on_commit_callbacks):
    partner, _members = team
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="quota.80", partner=partner, params={"used": "80"}, once="2026-11")
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="quota.80", partner=partner, params={"used": "81"}, once="2026-11")
    assert Notification.objects.filter(kind="quota.80").count() == 3
    assert len(mail.outbox) == 3  # immediate by default, each once
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="quota.80", partner=partner, params={"used": "80"}, once="2026-12")
    assert Notification.objects.filter(kind="quota.80").count() == 6
