from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import CommandError, call_command


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if not model._meta.label.startswith(("sessions.", "admin.", "django_celery_beat."))
    }


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_idempotent(settings):
    """A second run later the same day adds nothing, though the clock moved on: a demo sale may
    come up to two days after yesterday's offer, so sales are cut at the start of the day."""
    settings.DEBUG = True
    shanghai = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(datetime(2026, 11, 30, 0, 30, tzinfo=shanghai), tick=False):
        call_command("seed_demo", stdout=StringIO())
    first = _row_counts()

    with time_machine.travel(datetime(2026, 11, 30, 23, 50, tzinfo=shanghai), tick=False):
        call_command("seed_demo", stdout=StringIO())

    assert _row_counts() == first
    assert first["portal.User"] >= 4


@pytest.mark.django_db
def test_seed_demo_creates_staff_logins_and_groups(settings, client):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", "--password", "another-pass-77", stdout=out)

    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {
        "Partner managers", "Product managers", "Finance makers", "Finance checkers", "Auditors",
    }  # fmt: skip
    response = client.post("/accounts/login/", {"login": "admin@demo.local", "password": "another-pass-77"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    assert "admin@demo.local" in out.getvalue()


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())


@pytest.mark.django_db
def test_seed_demo_prints_each_demo_staff_members_enrolment_link(settings, client):
    import re

    from django.urls import reverse

    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)

    links = dict(
        re.findall(r"^\s+(\S+@demo\.local)\s+(https?://\S+/accounts/enrol/\S+/)$", out.getvalue(), re.M)
    )
    assert set(links) == {"admin@demo.local", "maker@demo.local", "checker@demo.local", "auditor@demo.local"}
    client.post("/accounts/login/", {"login": "auditor@demo.local", "password": settings.DEMO_PASSWORD})
    path = "/" + links["auditor@demo.local"].split("/", 3)[3]
    assert client.post(path)["Location"] == reverse("mfa_activate_totp")
