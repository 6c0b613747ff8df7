"""The job monitor lists the beat schedules and links to their admin."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django_celery_beat.models import IntervalSchedule, PeriodicTask


@pytest.mark.django_db
def test_it_lists_beat_schedules_and_links_to_edit_them(staff_client):
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
