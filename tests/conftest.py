"""Shared fixtures. Personas follow the house style: alice owns a partner, bob is her
teammate, charlie belongs to another partner."""

from __future__ import annotations

import django.test.signals  # noqa: F401 - Django's own receivers first: they reset ``caches``
import pytest
from django.core.signals import setting_changed
from django.dispatch import receiver

from .caches import cache_clear, caches_restart


@receiver(setting_changed)
def _cache_settings_changed(*, setting, **kwargs) -> None:
    # A test that points the cache at Redis (or back) gets the backends a process with those
    # settings would choose (after Django's receiver has rebuilt ``caches``).
    if setting == "CACHES":
        caches_restart()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Nothing counted or cached in one test may leak into the next.
    cache_clear()
    caches_restart()
    yield
    cache_clear()
    caches_restart()


@pytest.fixture
def staff_roles(db):
    from portal.services import staff_roles_sync

    return staff_roles_sync()
