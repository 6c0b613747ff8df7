"""The daily document sweep runs in a real Celery worker process from the real broker."""

from datetime import date

import pytest

from partners.models import Notification, PartnerDocument
from tests.worker import client_app, running_worker

from .factories import add_document


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_document_expiry_sweep(manager, acme):
    document = add_document(acme, manager, "business_licence")
    PartnerDocument.objects.filter(pk=document.pk).update(expires_on=date(2000, 1, 1))

    with running_worker() as worker:
        result = client_app().send_task("partners.tasks.document_expiry_sweep", queue=worker["queues"][0])

        assert result.get(timeout=90) == {"expired": 1, "flagged": 0, "partners_notified": 0}

    document.refresh_from_db()
    assert document.status == "expired"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_daily_notification_digest(acme, alice):
    Notification.objects.create(recipient=alice, partner=acme, kind="statement.approved", mail="digest")

    with running_worker() as worker:
        result = client_app().send_task("partners.tasks.notification_digest_send", queue=worker["queues"][0])

        assert result.get(timeout=90) == 1

    assert Notification.objects.get().emailed_at is not None
