"""``core.generations`` on the embedded default: a request reads the generations once (one
``stat`` of the epoch file), shared by every memo; outside a request each check reads afresh.
(The Redis side, one ``MGET``: ``tests/api/test_redis_round_trips.py``.)"""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.signals import request_finished, request_started

from core import generations
from core.generations import ProcessMemo, generation_bump


@pytest.mark.django_db  # request_started's other receivers may touch the connection
def test_a_request_stats_the_epoch_once_for_every_memo(settings, tmp_path):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # embedded
    settings.API_AUTH_EPOCH_FILE = str(tmp_path / "api-auth.epoch")
    keys, terms = ProcessMemo(("apikeys",), seconds=60), ProcessMemo(("scenarios", "products"), seconds=60)
    keys.current()
    keys.put("k", 1)
    with mock.patch.object(generations, "epoch", wraps=generations.epoch) as epoch:
        request_started.send(sender=None)
        try:
            keys.current()
            terms.current()
            keys.current()
            assert epoch.call_count == 1
            assert keys.peek("k") == 1
            generation_bump("scenarios")  # this request's own change: seen at once
            keys.current()
            assert epoch.call_count == 2
            assert keys.peek("k") is None
        finally:
            request_finished.send(sender=None)
        keys.current()
        terms.current()
        assert epoch.call_count == 4  # outside a request: each check reads afresh
