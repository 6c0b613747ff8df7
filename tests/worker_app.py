"""The Celery app the worker tests run: the project's app plus a pause the tests own.

``running_worker(settlement_pause=…)`` starts its worker on this module with
``TEST_SETTLEMENT_PAUSE_SECONDS`` set: the worker then waits that long before each settlement
period (``revenue.tasks.statement_generate``), so a test acts between two periods of a run
(kills the worker, approves an agreement). Production code knows nothing of it.
"""

from __future__ import annotations

import os
import time

from celery.signals import task_prerun

from portal.celery import app

__all__ = ["app"]

PAUSE_SECONDS = float(os.environ.get("TEST_SETTLEMENT_PAUSE_SECONDS") or 0)


@task_prerun.connect(weak=False)
def pause_before_each_period(sender=None, **_kwargs) -> None:
    # Before the period, not after: the period before it is settled, acknowledged and has
    # sent the next link of its chain; this one is neither settled nor acknowledged.
    if PAUSE_SECONDS and sender is not None and sender.name == "revenue.tasks.statement_generate":
        time.sleep(PAUSE_SECONDS)
