"""A real Celery worker process runs a task from the real broker end to end."""

import uuid

import pytest

from tests.worker import client_app, running_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_from_the_broker():
    with running_worker() as worker:
        value = uuid.uuid4().hex
        result = client_app().send_task("portal.tasks.echo", args=[value], queue=worker["queues"][0])

        assert result.get(timeout=90) == value
