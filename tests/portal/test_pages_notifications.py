"""The member's notification centre: the bell, the list (filters, mark read, open), the
preferences; another partner's notification is a 404; fixed query counts; English and Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from partners.models import Notification, NotificationPreference
from partners.notifications import notify

pytestmark = pytest.mark.django_db


def _notify(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        notify(**kwargs)


@pytest.fixture
def statements(acme, alice, fiona, django_capture_on_commit_callbacks):
    for n in (1, 2):
        _notify(
            django_capture_on_commit_callbacks,
            kind="statement.ready",
            partner=acme,
            params={"statement": f"S-{n}", "period": "2026-10", "amount": "¥10.00"},
        )
    _notify(
        django_capture_on_commit_callbacks,
        kind="quota.80",
        partner=acme,
        params={"used": "800", "quota": "1000"},
    )


def test_the_bell_counts_the_unread_of_the_active_partner(client, alice, charlie, acme, other, statements):
    client.force_login(alice)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="bell-count">3<' in page
    client.force_login(charlie)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-testid="bell"' in page
    assert "bell-count" not in page


def test_the_list_shows_the_members_own_newest_first(client, fiona, statements):
    client.force_login(fiona)
    page = client.get(reverse("portal:notifications")).content.decode()
    assert page.index("S-2") < page.index("S-1")
    assert "800" not in page  # quota goes to the technical roles, not finance


def test_filters_by_group_and_unread(client, alice, statements):
    client.force_login(alice)
    page = client.get(reverse("portal:notifications"), {"group": "api"}).content.decode()
    assert "800 of 1000" in page
    assert "S-1" not in page
    first = Notification.objects.filter(recipient=alice, kind="statement.ready").order_by("pk").first()
    client.post(reverse("portal:notification-read", args=[first.pk]))
    page = client.get(reverse("portal:notifications"), {"unread": "on"}).content.decode()
    assert "S-2" in page
    assert "S-1" not in page


def test_a_bad_filter_is_a_400_naming_it(client, alice, statements):
    client.force_login(alice)
    response = client.get(reverse("portal:notifications"), {"group": "nope"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_marking_read_opens_the_object(client, fiona, acme, statements):
    client.force_login(fiona)
    notification = Notification.objects.filter(recipient=fiona).first()
    response = client.post(reverse("portal:notification-read", args=[notification.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response.url == reverse("portal:statements")  # no target given: the list it belongs to
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_viewer_may_mark_their_own_read(client, victor, acme, django_capture_on_commit_callbacks):
    _notify(django_capture_on_commit_callbacks, kind="statement.ready", partner=acme, users=[victor])
    client.force_login(victor)
    notification = Notification.objects.get(recipient=victor)
    assert client.post(reverse("portal:notification-read", args=[notification.pk])).status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_another_partners_notification_is_a_404(client, alice, charlie, statements):
    client.force_login(charlie)
    notification = Notification.objects.filter(recipient=alice).first()
    assert client.post(reverse("portal:notification-read", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_teammates_notification_is_a_404(client, alice, fiona, statements):
    client.force_login(alice)
    notification = Notification.objects.filter(recipient=fiona).first()
    assert client.post(reverse("portal:notification-read", args=[notification.pk])).status_code == 404


def test_mark_read_needs_a_post(client, alice, statements):
    client.force_login(alice)
    notification = Notification.objects.filter(recipient=alice).first()
    assert client.get(reverse("portal:notification-read", args=[notification.pk])).status_code == 405


def test_mark_all_read_clears_the_bell(client, alice, fiona, statements):
    client.force_login(alice)
    client.post(reverse("portal:notifications-read-all"))
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=fiona, read_at__isnull=True).count() == 2
    assert "bell-count" not in client.get(reverse("portal:dashboard")).content.decode()


def test_preferences_save_per_kind(client, fiona):
    client.force_login(fiona)
    page = client.get(reverse("portal:notification-preferences")).content.decode()
    assert "Statement ready" in page
    assert "Webhook endpoint failing" not in page
    data = {"statement.ready": "digest", "statement.approved": "immediate", "statement.paid": "portal"}
    data |= dict.fromkeys(("dispute.received", "dispute.proposed", "dispute.resolved"), "portal")
    data |= dict.fromkeys(("agreement.sent", "agreement.superseded"), "portal")
    response = client.post(reverse("portal:notification-preferences"), data)
    assert response.status_code == 302
    chosen = dict(NotificationPreference.objects.filter(user=fiona).values_list("kind", "delivery"))
    assert chosen["statement.ready"] == "digest"
    assert chosen["statement.approved"] == "immediate"


def test_a_bad_preference_is_a_400(client, fiona):
    client.force_login(fiona)
    response = client.post(reverse("portal:notification-preferences"), {"statement.ready": "pigeon"})
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


@pytest.mark.parametrize("size", [1, 8])
def test_the_list_costs_the_same_queries_whatever_the_count(
    client, alice, acme, django_assert_num_queries, django_capture_on_commit_callbacks, size
):
    for n in range(size):
        _notify(
            django_capture_on_commit_callbacks, kind="key.expiring", partner=acme, params={"key": f"k{n}"}
        )
    client.force_login(alice)
    # session, user, memberships, the list, the bell
    with django_assert_num_queries(5):
        response = client.get(reverse("portal:notifications"))
    assert response.content.decode().count('data-testid="notice"') == size


def test_the_list_reads_in_chinese(client, fiona, statements):
    client.force_login(fiona)
    with translation.override("zh-hans"):
        page = client.get(reverse("portal:notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "对账单" in page
    assert "S-1" in page
    assert "is ready" not in page


def test_staff_read_their_own_in_the_console(
    client, acme, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from tests.factories import StaffFactory

    staff = StaffFactory(email="rm@bank.test")
    _notify(
        django_capture_on_commit_callbacks,
        kind="dispute.opened",
        partner=acme,
        users=[staff],
        params={"statement": "S-9", "reason": "rate"},
    )
    client.force_login(staff)
    # session, user, the list, the bell, and the user's permissions (user's and groups': the
    # console's menu shows *Payouts* only to those who may see it)
    with django_assert_num_queries(6):
        page = client.get(reverse("console:notifications")).content.decode()
    assert "Acme Travel disputed a line of statement S-9" in page
    assert 'data-testid="bell-count">1<' in page
    notification = Notification.objects.get()
    client.post(reverse("console:notification-read", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_partner_members_cannot_open_the_staff_centre(client, alice):
    client.force_login(alice)
    assert client.get(reverse("console:notifications")).status_code == 403
