"""Delivering a webhook: one deadline for the whole call (a receiver that trickles its answer
cannot hold a worker), no transaction or lock held during the call, and one worker at a time
per delivery (a claim with a lease that the retry sweep takes over when a worker dies)."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from partners.models import WebhookDelivery
from partners.services import (
    webhook_deliver,
    webhook_endpoint_create,
    webhook_event_publish,
    webhook_retry_due,
)
from partners.webhooks import transport
from tests.api.factories import api_partner


class SlowReceiver:
    """A server on 127.0.0.1 that reads the request, then sends ``answer`` one byte every
    ``interval`` seconds (nothing at all with ``answer=b""``)."""

    def __init__(self, answer: bytes, interval: float):
        self.answer, self.interval = answer, interval
        self.stop = threading.Event()
        self.requests = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        self.requests += 1
        with conn:
            conn.settimeout(0.5)
            try:
                conn.recv(65536)  # the request (small) or a TLS ClientHello
                for byte in self.answer:
                    if self.stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
                self.stop.wait(30)
            except OSError:
                return  # the client hung up: what the deadline is for

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.listener.close()


@pytest.fixture
def loopback(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True


def endpoint_for(partner, url: str, settings, port: int):
    settings.WEBHOOK_ALLOWED_PORTS = [443, port]
    return webhook_endpoint_create(partner=partner, actor=None, url=url, events=["key.expiring"]).endpoint


HEADERS = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Slow: yes\r\n\r\n"


@pytest.mark.django_db
def test_the_deadline_defaults_to_ten_seconds_for_the_whole_delivery():
    from portal.settings import WEBHOOK_DELIVERY_DEADLINE_SECONDS

    assert WEBHOOK_DELIVERY_DEADLINE_SECONDS == 10.0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scheme", "answer"),
    [
        ("http", HEADERS),  # the status line and headers, a byte at a time
        ("http", b""),  # connected, then silence
        # Inside the TLS handshake: a record header announcing 100 bytes that come slowly.
        ("https", b"\x16\x03\x03\x00\x64" + b"\x02" * 100),
    ],
    ids=["trickled-headers", "silence", "trickled-tls-handshake"],
)
def test_a_receiver_that_trickles_its_answer_cannot_hold_the_worker_past_the_deadline(
    loopback, settings, scheme, answer
):
    settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS = 1.5
    acme = api_partner("acme-travel")
    # Every byte arrives well within any per-read timeout: only a deadline stops this.
    with SlowReceiver(answer, interval=0.25) as slow:
        endpoint_for(acme, f"{scheme}://127.0.0.1:{slow.port}/hook", settings, slow.port)
        (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})

        started = time.monotonic()
        status = webhook_deliver(delivery_id=delivery.pk)
        elapsed = time.monotonic() - started

    assert slow.requests == 1
    assert 1.4 <= elapsed < 3.5  # the old per-read timeout alone let this run 5 s to 26 s
    delivery.refresh_from_db()
    assert (status, delivery.status, delivery.attempts) == ("pending", "pending", 1)
    assert "DeliveryDeadlineExceeded" in delivery.last_error
    assert "1.5 s" in delivery.last_error
    assert delivery.next_attempt_at is not None


def test_the_deadline_covers_a_name_that_resolves_slowly(loopback, monkeypatch):
    def slow_dns(host, port, *args, **kwargs):
        time.sleep(3)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    monkeypatch.setattr(socket, "getaddrinfo", slow_dns)
    started = time.monotonic()

    with pytest.raises(transport.DeliveryDeadlineExceeded):
        transport.post("https://slow-dns.example.com/", b"{}", {}, deadline_seconds=0.5)

    assert time.monotonic() - started < 1.5


def test_a_fast_receiver_answers_well_within_the_deadline(loopback, settings):
    settings.WEBHOOK_ALLOWED_PORTS = [443]
    with SlowReceiver(HEADERS, interval=0) as fast:
        settings.WEBHOOK_ALLOWED_PORTS = [fast.port]
        assert transport.post(f"http://127.0.0.1:{fast.port}/", b"{}", {}, deadline_seconds=2) == 200


def probe_row(pk: int) -> dict:
    """From another connection, as another worker would: the delivery's status, and whether
    its row can be locked and written at once (PostgreSQL NOWAIT; SQLite with no wait)."""
    seen: dict = {}

    def run() -> None:
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 100")
            with transaction.atomic():
                row = WebhookDelivery.objects.select_for_update(nowait=True).get(pk=pk)
                seen["status"] = row.status
                WebhookDelivery.objects.filter(pk=pk).update(last_error=row.last_error)
            seen["free"] = True
        except Exception as exc:  # noqa: BLE001 - the probe reports any failure to lock
            seen["free"] = False
            seen["error"] = repr(exc)
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return seen


@pytest.mark.django_db(transaction=True)
def test_no_transaction_or_row_lock_is_held_during_the_http_call(monkeypatch):
    acme = api_partner("acme-travel")
    monkeypatch.setattr(socket, "getaddrinfo", lambda h, p, *a, **k: [(2, 1, 6, "", ("93.184.216.34", p))])
    created = webhook_endpoint_create(
        partner=acme, actor=None, url="https://hooks.example.com/", events=["key.expiring"]
    )
    # Written directly: outside a transaction, publishing would send at once (eager tasks).
    delivery = WebhookDelivery.objects.create(endpoint=created.endpoint, event="key.expiring", payload={})
    during: dict = {}

    def fake_post(url, body, headers, *, deadline_seconds):  # the network is patched, nothing else
        during["in_atomic_block"] = connection.in_atomic_block
        during["probe"] = probe_row(delivery.pk)
        return 204

    monkeypatch.setattr(transport, "post", fake_post)

    assert webhook_deliver(delivery_id=delivery.pk) == "delivered"

    assert during["in_atomic_block"] is False
    assert during["probe"]["free"] is True, during["probe"]
    assert during["probe"]["status"] == "attempting"  # the claim was committed before the call
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_sent_is_not_sent_again_by_another_worker(monkeypatch):
    acme = api_partner("acme-travel")
    monkeypatch.setattr(socket, "getaddrinfo", lambda h, p, *a, **k: [(2, 1, 6, "", ("93.184.216.34", p))])
    created = webhook_endpoint_create(
        partner=acme, actor=None, url="https://hooks.example.com/", events=["key.expiring"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=created.endpoint, event="key.expiring", payload={})
    calls, in_call, release = [], threading.Event(), threading.Event()

    def fake_post(url, body, headers, *, deadline_seconds):
        calls.append(headers["X-FinanceN-Delivery"])
        in_call.set()
        release.wait(10)
        return 200

    monkeypatch.setattr(transport, "post", fake_post)
    outcome = {}

    def first_worker():
        outcome["first"] = webhook_deliver(delivery_id=delivery.pk)
        connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    assert in_call.wait(10)

    second = webhook_deliver(delivery_id=delivery.pk)  # e.g. the retry sweep's copy of the task
    release.set()
    worker.join(10)

    assert (outcome["first"], second) == ("delivered", "skipped")
    assert calls == [str(delivery.event_id)]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


@pytest.mark.django_db
def test_the_retry_sweep_takes_over_a_delivery_whose_worker_died_after_its_lease(monkeypatch, settings):
    settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS = 10
    acme = api_partner("acme-travel")
    monkeypatch.setattr(socket, "getaddrinfo", lambda h, p, *a, **k: [(2, 1, 6, "", ("93.184.216.34", p))])
    webhook_endpoint_create(
        partner=acme, actor=None, url="https://hooks.example.com/", events=["key.expiring"]
    )
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})
    start = timezone.now()
    # A worker claimed it and died during the call.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="attempting", attempts=1, next_attempt_at=start + timedelta(seconds=70)
    )
    calls = []
    monkeypatch.setattr(transport, "post", lambda *a, **k: calls.append(a) or 200)

    with time_machine.travel(start + timedelta(seconds=69), tick=False):
        assert webhook_deliver(delivery_id=delivery.pk) == "skipped"  # its lease still runs
        assert webhook_retry_due() == 0
    with time_machine.travel(start + timedelta(seconds=71), tick=False):
        assert webhook_retry_due() == 1  # eager: the attempt runs now

    assert len(calls) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


@pytest.mark.django_db
def test_a_dead_worker_s_last_attempt_fails_the_delivery(settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    acme = api_partner("acme-travel")
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_ALLOWED_PORTS = [443, 9]
    webhook_endpoint_create(partner=acme, actor=None, url="http://127.0.0.1:9/", events=["key.expiring"])
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="attempting", attempts=3, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    assert webhook_retry_due() == 0

    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == ("failed", None)
    assert "worker stopped" in delivery.last_error


@pytest.mark.django_db
def test_a_result_that_comes_after_the_lease_was_taken_over_is_dropped(monkeypatch):
    acme = api_partner("acme-travel")
    monkeypatch.setattr(socket, "getaddrinfo", lambda h, p, *a, **k: [(2, 1, 6, "", ("93.184.216.34", p))])
    webhook_endpoint_create(
        partner=acme, actor=None, url="https://hooks.example.com/", events=["key.expiring"]
    )
    (delivery,) = webhook_event_publish(partner=acme, event="key.expiring", payload={})

    def taken_over(*args, **kwargs):
        # Meanwhile another worker took the delivery over and delivered it.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status="delivered", attempts=2)
        return 500

    monkeypatch.setattr(transport, "post", taken_over)

    assert webhook_deliver(delivery_id=delivery.pk) == "superseded"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, None)
