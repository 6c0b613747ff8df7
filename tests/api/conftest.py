"""Fixtures of the open API tests. alice's partner is Acme Travel, charlie's is Other Mall;
``acme_key`` / ``other_key`` are keys with every scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from .factories import api_partner, issue


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def acme(db):
    return api_partner("acme-travel")


@pytest.fixture
def other(db):
    return api_partner("other-mall")


@pytest.fixture
def acme_key(acme):
    return issue(acme)


@pytest.fixture
def other_key(other):
    return issue(other)
