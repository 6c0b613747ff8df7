"""Which Celery workers consume which queues, asked of the workers themselves.

Every worker answers Celery's remote-control broadcast (``inspect().active_queues()``) with the
queues it consumes. That works the same on every broker the project runs on (Redis, RabbitMQ,
the embedded file-system transport), whereas a broker's own consumer count exists on RabbitMQ
only (Redis queues are lists: a worker waiting on one is not registered anywhere). A broadcast
waits the whole timeout for answers, so callers keep it short (a second or two) and repeat it.

Some configurations never have a worker: the in-memory transport lives inside one process, so
no worker can take its messages (``no_worker_reason`` says so, and a command tells its user to
work in-process instead). Under ``CELERY_TASK_ALWAYS_EAGER`` (the test settings) sending a task
runs it in the caller: there is nobody to ask, and nothing waits (``tasks_run_in_process``).
It imports no app.
"""

from __future__ import annotations

from celery import Celery, current_app

IN_PROCESS_TRANSPORTS = ("memory",)


def tasks_run_in_process(app: Celery | None = None) -> bool:
    """Whether sending a task runs it at once in the sender (``CELERY_TASK_ALWAYS_EAGER``)."""
    return bool((app or current_app).conf.task_always_eager)


def no_worker_reason(app: Celery | None = None) -> str | None:
    """Why no worker process can ever take this app's messages, or None when one can."""
    app = app or current_app
    scheme = str(app.conf.broker_url or "").split("://", 1)[0]
    if scheme in IN_PROCESS_TRANSPORTS:
        return f"the {scheme}:// broker lives inside one process: no worker can reach it"
    return None


def queue_workers(queues: list[str], *, timeout: float, app: Celery | None = None) -> dict[str, list[str]]:
    """Each of ``queues`` with the names of the workers that answered, within ``timeout``
    seconds, that they consume it (an empty list: none did). A broker that cannot be reached
    raises kombu's ``OperationalError``."""
    app = app or current_app
    answers = app.control.inspect(timeout=timeout).active_queues() or {}
    found: dict[str, list[str]] = {queue: [] for queue in queues}
    for worker, consumed in sorted(answers.items()):
        for queue in consumed or []:
            name = queue.get("name") if isinstance(queue, dict) else None
            if name in found:
                found[name].append(worker)
    return found
