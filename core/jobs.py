"""Starting Celery tasks from services, by the name each task is registered under.

Tasks import services, never the reverse (docs/architecture.md): a task is a thin wrapper that
calls one service, so a service that starts work on the workers (an import, the periods of a
settlement run, a webhook delivery) cannot import its app's ``tasks`` module without a cycle.
It names the task instead: ``@shared_task(name="revenue.tasks.transaction_import")`` is the
public contract, and this module turns the name into the registered task. Every app with
tasks imports them when Django starts (its ``AppConfig.ready``), so a name resolves in the web
process as in a worker, and runs eagerly under the test settings like a direct call would.
"""

from __future__ import annotations

from celery import current_app
from celery.canvas import Signature
from django.db import transaction


def task_signature(name: str, *args) -> Signature:
    """The immutable signature of the task registered as ``name`` with ``args``. An unknown
    name raises ``KeyError`` here, never a message that no worker would understand."""
    task = current_app.tasks[name]
    return task.si(*args)


def enqueue_on_commit(name: str, *args) -> None:
    """Send the task ``name`` with ``args`` once the current transaction commits (at once
    outside one): work of a rolled-back write never starts, and each commit sends it once."""
    signature = task_signature(name, *args)
    transaction.on_commit(signature.delay)
