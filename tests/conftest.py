"""Shared fixtures. Personas follow the house style: alice owns a partner, bob is her
teammate, charlie belongs to another partner."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters, cached key lookups and counts buffered in this process (usage,
    # offer quotes) must not leak between tests.
    from partners.api import counters

    cache.clear()
    counters.reset_buffers()
    yield
    cache.clear()
    counters.reset_buffers()


@pytest.fixture
def staff_roles(db):
    from portal.services import staff_roles_sync

    return staff_roles_sync()
