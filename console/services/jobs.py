"""Writes of the job monitor: the beat heartbeat."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from ..models import Heartbeat


def heartbeat_record(*, now: datetime | None = None) -> datetime:
    """Note that beat sent its heartbeat and a worker ran it (one row, replaced each time)."""
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(name=Heartbeat.BEAT, defaults={"at": now})
    return now
