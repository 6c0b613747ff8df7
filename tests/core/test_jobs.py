"""Services start Celery tasks by their registered name (``core.jobs``), after commit."""

from __future__ import annotations

import pytest

from core.jobs import enqueue_on_commit, task_signature

pytestmark = pytest.mark.django_db


def test_an_unknown_task_name_is_refused_at_once():
    with pytest.raises(KeyError):
        task_signature("revenue.tasks.no_such_task")


def test_a_task_is_registered_in_the_web_process_without_importing_its_module():
    # The apps register their tasks at start-up; nothing here imported revenue.tasks.
    assert task_signature("revenue.tasks.transaction_import", 7).args == (7,)


def test_a_task_named_in_a_transaction_runs_once_and_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit("revenue.tasks.settlement_watchdog")

    assert len(callbacks) == 1
    result = callbacks[0]()  # the commit: eager under the test settings
    assert result.get() == {"runs_resumed": 0, "periods_dispatched": 0, "imports_failed": 0}
