"""The job monitor lists the beat schedules and links to their admin."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from revenue.models import SettlementRun


@pytest.mark.django_db
def test_it_lists_beat_schedules_and_links_to_edit_them(staff_client, staff):
    from django.contrib.auth.models import Permission

    # The link is offered to who may open it (a maker without it: tests/portal/test_next_steps.py).
    staff.user_permissions.add(Permission.objects.get(codename="change_periodictask"))
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="partners-api-usage-flush", task="partners.tasks.api_usage_flush", interval=every
    )
    cache.set("portal:last-heartbeat", "2026-06-15T10:00:00+08:00")
    response = staff_client.get("/staff/jobs/")
    body = response.content.decode()
    assert [t.name for t in response.context["tasks"]] == ["partners-api-usage-flush"]
    assert 'href="/admin/django_celery_beat/periodictask/"' in body
    assert "2026-06-15T10:00:00+08:00" in body


@pytest.mark.django_db
def test_it_shows_a_partial_run_with_its_failed_periods(staff_client):
    SettlementRun.objects.create(
        through="2026-02-28",
        trigger="schedule",
        status="partial",
        periods_planned=4,
        periods_done=2,
        periods_failed=2,
        errors=[
            {
                "partner_id": 1,
                "partner": "skyway",
                "scenario": "travel-finance",
                "agreement": 7,
                "period_start": "2026-01-01",
                "period_end": "2026-01-31",
                "error": "DataError: numeric field overflow",
                "skipped": 1,
            },
            "agreement 3 2025-12-01–2025-12-31: an error of an older run",
        ],
    )

    body = staff_client.get("/staff/jobs/").content.decode()

    assert "Partly failed" in body
    assert "2 periods failed" in body
    assert "skyway · travel-finance 2026-01-01–2026-01-31: DataError: numeric field overflow" in body
    assert "(and 1 later period left for the next run)" in body
    assert "an error of an older run" in body
