"""Webhooks: partners' endpoints (secret shown once, rotatable with an overlap), publishing
events, and delivering them signed with retries and exponential backoff.

Other capabilities call ``webhook_event_publish(partner=…, event=…, payload=…)`` inside their
transaction: deliveries are written with it and sent after commit by the Celery worker. A
failed attempt is retried by ``webhook_retry_due`` (every minute, beat) after
``30 s × 2^(attempt-1)`` (capped at 6 h) until ``WEBHOOK_MAX_ATTEMPTS``. A partner checks
its receiver with ``webhook_test_send``: a ``webhook.test`` event down the same path, at most
``WEBHOOK_TEST_EVENTS_PER_ENDPOINT_HOURLY`` per endpoint and
``WEBHOOK_TEST_EVENTS_PER_PARTNER_HOURLY`` per partner in any hour.

An attempt holds no transaction and no lock while it waits for the receiver: it claims the
delivery (``pending`` → ``attempting`` with a lease, one conditional UPDATE), makes the HTTP
call within ``WEBHOOK_DELIVERY_DEADLINE_SECONDS``, then records the result in a second short
write that only lands if the claim is still its own. Two workers never send one delivery at
once; a worker that dies mid-call leaves the delivery to the retry sweep once the lease ends.
"""

from __future__ import annotations

import http.client
import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import enqueue_on_commit, task_signature

from ..exceptions import PartnerNotAllowed, WebhookAddressRefused, WebhookInvalid, WebhookTestLimited
from ..models import Partner, WebhookDelivery, WebhookEndpoint
from ..notifications import notify
from ..webhooks import signing, transport
from ._access import require_staff_perm_or_role

logger = logging.getLogger(__name__)

Event = WebhookEndpoint.Event
DStatus = WebhookDelivery.Status
# The task that sends one delivery (``partners.tasks``; see ``core.jobs``).
WEBHOOK_DELIVER = "partners.tasks.webhook_deliver"
WEBHOOK_MANAGER_ROLES = ("owner", "admin", "developer")
MAX_BACKOFF = timedelta(hours=6)
FIRST_BACKOFF = timedelta(seconds=30)
# Not an ``Event``: nobody subscribes to it, a partner sends it to one endpoint on demand.
TEST_EVENT = "webhook.test"
TEST_EVENT_WINDOW = timedelta(hours=1)
# How long past its deadline a claimed attempt stays its worker's before the sweep takes it.
LEASE_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class EndpointWithSecret:
    """``secret`` is shown once to the partner and never stored in the clear."""

    endpoint: WebhookEndpoint
    secret: str


def _require_manager(actor, partner: Partner) -> None:
    if actor is None:  # the system (commands, other services)
        return
    require_staff_perm_or_role(actor, partner, "partners.change_webhookendpoint", WEBHOOK_MANAGER_ROLES)


def _clean_events(events) -> list[str]:
    chosen = sorted({str(e) for e in events or ()})
    unknown = [e for e in chosen if e not in Event.values]
    if unknown:
        raise WebhookInvalid(_("Unknown event: %(events)s.") % {"events": ", ".join(unknown)}, field="events")
    if not chosen:
        raise WebhookInvalid(_("Choose at least one event."), field="events")
    return chosen


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url or len(url) > 500:
        raise WebhookInvalid(_("Give the HTTPS address of your endpoint."), field="url")
    # Refuses non-HTTPS, ports not allowed and non-public addresses now; checked again on send.
    try:
        transport.resolve(url, deadline=transport.Deadline(settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS))
    except transport.DeliveryDeadlineExceeded:
        raise WebhookAddressRefused(
            _("The host name did not resolve in time: try again later."), field="url"
        ) from None
    return url


def _require_endpoint_mode(partner: Partner, sandbox: bool) -> None:
    """A sandbox endpoint from the submitted application on (like sandbox keys); a live one once
    the partner is live (not while it still applies)."""
    if sandbox and not partner.accepts_sandbox_traffic:
        raise PartnerNotAllowed(
            _(
                "%(partner)s is %(status)s: sandbox endpoints are available from the moment the "
                "application is submitted, while it is reviewed, approved or active."
            )
            % {"partner": partner, "status": partner.get_status_display().lower()}
        )
    if not sandbox and partner.status in Partner.PRE_LIVE_STATUSES:
        raise PartnerNotAllowed(
            _(
                "%(partner)s is not live yet: add a sandbox endpoint until the bank switches the partnership on."
            )
            % {"partner": partner},
            field="sandbox",
        )


def webhook_endpoint_create(
    *, partner: Partner, actor, url: str, events, description: str = "", sandbox: bool = False
) -> EndpointWithSecret:
    """A new endpoint with its signing secret (shown once). A ``sandbox`` endpoint receives the
    sandbox's events only (``"livemode": false``), a live one the live events only."""
    _require_manager(actor, partner)
    _require_endpoint_mode(partner, sandbox)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        partner=partner,
        sandbox=sandbox,
        url=_clean_url(url),
        events=_clean_events(events),
        description=(description or "")[:200],
        secret_encrypted=signing.encrypt_secret(secret),
        secret_hint=secret[:10],
        created_by=actor,
    )
    logger.info(
        "%s webhook endpoint %s created for partner %s",
        "sandbox" if sandbox else "live",
        endpoint.pk,
        partner.slug,
    )
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, actor, url: str | None = None, events=None, is_active: bool | None = None
) -> WebhookEndpoint:
    _require_manager(actor, endpoint.partner)
    fields = []
    if url is not None:
        endpoint.url = _clean_url(url)
        fields.append("url")
    if events is not None:
        endpoint.events = _clean_events(events)
        fields.append("events")
    if is_active is not None:
        endpoint.is_active = is_active
        fields.append("is_active")
        if is_active:  # switched on again: the count of failures starts afresh
            endpoint.consecutive_failures, endpoint.disabled_at = 0, None
            fields += ["consecutive_failures", "disabled_at"]
    if fields:
        endpoint.save(update_fields=fields)
    return endpoint


def webhook_secret_rotate(
    *, endpoint: WebhookEndpoint, actor, overlap: timedelta | None = None
) -> EndpointWithSecret:
    """A new secret now; deliveries carry both signatures until the overlap ends."""
    _require_manager(actor, endpoint.partner)
    overlap = settings.WEBHOOK_SECRET_OVERLAP if overlap is None else overlap
    secret = signing.new_secret()
    with transaction.atomic():
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret_encrypted = locked.secret_encrypted
        locked.previous_secret_until = timezone.now() + overlap
        locked.secret_encrypted = signing.encrypt_secret(secret)
        locked.secret_hint = secret[:10]
        locked.save(
            update_fields=[
                "previous_secret_encrypted",
                "previous_secret_until",
                "secret_encrypted",
                "secret_hint",
            ]
        )
    logger.info("webhook endpoint %s secret rotated", endpoint.pk)
    return EndpointWithSecret(endpoint=locked, secret=secret)


def webhook_event_publish(
    *, partner: Partner, event: str, payload: dict, livemode: bool = True
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of ``partner`` subscribed to it: its live
    endpoints, or its sandbox endpoints for a sandbox event (``livemode=False``). Call it inside
    the transaction that made the change: nothing is sent unless it commits."""
    if event not in Event.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(partner=partner, is_active=True, sandbox=not livemode)
        if event in (e.events or [])
    ]
    return _deliveries_queue(endpoints=endpoints, event=event, payload=payload)


def webhook_test_send(*, endpoint: WebhookEndpoint, actor) -> WebhookDelivery:
    """Queue a synthetic ``webhook.test`` event to this one endpoint, so the partner can check
    its receiver: it goes the way of real events (delivery log, worker, retries, address
    check, signature) and carries only the partner's slug and the time, no customer data. A
    sandbox endpoint's test event says ``"livemode": false`` like every event it receives."""
    partner = endpoint.partner
    _require_manager(actor, partner)
    if partner.is_read_only:  # staff pass ``_require_manager`` whatever the partner's state
        raise PartnerNotAllowed(_("This partner is suspended or closed: nothing can be changed."))
    if not endpoint.is_active:
        raise WebhookInvalid(
            _("The endpoint is off: switch it on to send it a test event."), code="endpoint_off"
        )
    with transaction.atomic():
        _test_events_limit(endpoint=endpoint, now=timezone.now())
        (delivery,) = _deliveries_queue(
            endpoints=[endpoint],
            event=TEST_EVENT,
            payload={
                "test": True,
                "message": "A test event from the Finance+N partner portal: nothing happened, no action needed.",
                "partner": partner.slug,
                "sent_at": timezone.now(),
            },
        )
    logger.info("webhook endpoint %s: test event queued (delivery %s)", endpoint.pk, delivery.pk)
    return delivery


def _test_events_limit(*, endpoint: WebhookEndpoint, now: datetime) -> None:
    """Refuse a test event over the hourly limits (``WebhookTestLimited``, 429). Locks the
    partner's endpoints for the rest of the transaction, so two clicks at once count as two."""
    list(WebhookEndpoint.objects.select_for_update().filter(partner_id=endpoint.partner_id).values_list("pk"))
    recent = WebhookDelivery.objects.filter(
        endpoint__partner_id=endpoint.partner_id, event=TEST_EVENT, created_at__gt=now - TEST_EVENT_WINDOW
    )
    counts = recent.aggregate(
        partner=Count("pk"),
        endpoint=Count("pk", filter=Q(endpoint_id=endpoint.pk)),
        partner_oldest=Min("created_at"),
        endpoint_oldest=Min("created_at", filter=Q(endpoint_id=endpoint.pk)),
    )
    limits = (
        (
            "endpoint",
            settings.WEBHOOK_TEST_EVENTS_PER_ENDPOINT_HOURLY,
            recent.filter(endpoint_id=endpoint.pk),
        ),
        ("partner", settings.WEBHOOK_TEST_EVENTS_PER_PARTNER_HOURLY, recent),
    )
    for scope, limit, sent in limits:
        if counts[scope] < limit:
            continue
        if limit <= 0:
            raise WebhookTestLimited(_("Test events are switched off."))
        # The slot that frees next: the one sent ``count - limit`` places after the oldest.
        oldest = counts[f"{scope}_oldest"]
        if counts[scope] > limit:
            oldest = sent.order_by("created_at").values_list("created_at", flat=True)[counts[scope] - limit]
        free_at = oldest + TEST_EVENT_WINDOW
        retry_after = max(1, math.ceil((free_at - now).total_seconds()))
        when = timezone.localtime(free_at + timedelta(seconds=59)).strftime("%H:%M")
        if scope == "endpoint":
            message = _(
                "Too many test events: an endpoint receives at most %(limit)d an hour. "
                "Send the next one to this endpoint after %(time)s."
            )
        else:
            message = _(
                "Too many test events: your endpoints receive at most %(limit)d an hour together. "
                "Send the next one after %(time)s."
            )
        logger.info("webhook endpoint %s: test event refused (%s limit %d)", endpoint.pk, scope, limit)
        raise WebhookTestLimited(message % {"limit": limit, "time": when}, retry_after=retry_after)


def _deliveries_queue(
    *, endpoints: list[WebhookEndpoint], event: str, payload: dict
) -> list[WebhookDelivery]:
    """One pending delivery of ``event`` per endpoint, each sent by the worker after commit."""
    if not endpoints:
        return []
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    # The worker sends each one right after commit; the retry sweep is the safety net.
    safety_net = timezone.now() + timedelta(minutes=2)
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=e, event=event, payload=data, next_attempt_at=safety_net) for e in endpoints
    )
    for delivery in deliveries:
        enqueue_on_commit(WEBHOOK_DELIVER, delivery.pk)
    return deliveries


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(
        {
            "id": str(delivery.event_id),
            "event": delivery.event,
            "created_at": delivery.created_at.isoformat(),
            "livemode": not delivery.endpoint.sandbox,
            "data": delivery.payload,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def _signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    secrets = [signing.decrypt_secret(endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and (
        endpoint.previous_secret_until and endpoint.previous_secret_until > timezone.now()
    ):
        secrets.append(signing.decrypt_secret(endpoint.previous_secret_encrypted))
    return secrets


def backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, FIRST_BACKOFF * (2 ** max(0, attempts - 1)))


def _delivery_claim(*, delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt, or ``None`` when it is not this worker's to send
    (already sent, given up, or another worker's lease still runs). One conditional UPDATE:
    the database lets one worker through and holds no lock once it commits."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS) + LEASE_MARGIN
    claimable = Q(status=DStatus.PENDING) | Q(status=DStatus.ATTEMPTING, next_attempt_at__lte=now)
    with transaction.atomic():
        claimed = WebhookDelivery.objects.filter(claimable, pk=delivery_id).update(
            status=DStatus.ATTEMPTING, attempts=F("attempts") + 1, next_attempt_at=lease_until
        )
        if not claimed:
            return None
        return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def _delivery_send(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """The HTTP call (no database work): the response's status, or the error."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return None, "endpoint disabled"
    body = delivery_body(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "FinanceN-Webhooks/1",
        signing.EVENT_HEADER: delivery.event,
        signing.DELIVERY_HEADER: str(delivery.event_id),
        signing.SIGNATURE_HEADER: signing.signature_header(_signing_secrets(endpoint), timestamp, body),
    }
    try:
        status_code = transport.post(
            endpoint.url, body, headers, deadline_seconds=settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS
        )
    except WebhookAddressRefused as exc:
        return None, exc.message
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # whatever happens, the claimed attempt gets its result recorded
        logger.exception("webhook delivery %s: unexpected error", delivery.pk)
        return None, f"{type(exc).__name__}"
    return status_code, ""


def _attempt_record(*, delivery: WebhookDelivery, status_code: int | None, error: str) -> str:
    """Write the attempt's result, only if the claim is still this worker's; the new status."""
    now = timezone.now()
    changes: dict = {"last_status_code": status_code}
    if status_code is not None and 200 <= status_code < 300:
        changes.update(status=DStatus.DELIVERED, delivered_at=now, next_attempt_at=None, last_error="")
    else:
        changes["last_error"] = (error or f"HTTP {status_code}")[:300]
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS or not delivery.endpoint.is_active:
            changes.update(status=DStatus.FAILED, next_attempt_at=None)
        else:
            changes.update(status=DStatus.PENDING, next_attempt_at=now + backoff(delivery.attempts))
    recorded = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=DStatus.ATTEMPTING, attempts=delivery.attempts
    ).update(**changes)
    if not recorded:  # the lease ran out and another worker took the delivery over
        logger.warning(
            "webhook delivery %s attempt %d: lease lost, result dropped", delivery.pk, delivery.attempts
        )
        return "superseded"
    for field, value in changes.items():
        setattr(delivery, field, value)
    if delivery.status == DStatus.DELIVERED:
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, consecutive_failures__gt=0).update(
            consecutive_failures=0
        )
    elif delivery.endpoint.is_active:  # an attempt at a switched-off endpoint is not its failure
        _endpoint_failure_count(endpoint_id=delivery.endpoint_id)
    return delivery.status


def _endpoint_failure_count(*, endpoint_id: int) -> None:
    """Count one more failed attempt in a row. At ``WEBHOOK_FAILURE_NOTIFY_AFTER`` the team is
    told the endpoint is failing; at ``WEBHOOK_AUTO_DISABLE_AFTER`` it is switched off and the
    team told so. Each threshold is crossed by exactly one attempt (the row is locked)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        endpoint.consecutive_failures += 1
        fields = ["consecutive_failures"]
        failures = endpoint.consecutive_failures
        disable = endpoint.is_active and failures >= settings.WEBHOOK_AUTO_DISABLE_AFTER
        if disable:
            endpoint.is_active, endpoint.disabled_at = False, timezone.now()
            fields += ["is_active", "disabled_at"]
        endpoint.save(update_fields=fields)
        if failures == settings.WEBHOOK_FAILURE_NOTIFY_AFTER and not disable:
            notify(
                kind="webhook.failing",
                partner=endpoint.partner,
                target=endpoint,
                params={"url": endpoint.url, "failures": str(failures)},
            )
        if disable:
            logger.warning(
                "webhook endpoint %s switched off after %d failures in a row", endpoint.pk, failures
            )
            notify(
                kind="webhook.disabled",
                partner=endpoint.partner,
                target=endpoint,
                params={"url": endpoint.url, "failures": str(failures)},
            )


def webhook_deliver(*, delivery_id: int) -> str:
    """One attempt at a pending delivery; its new status (``skipped`` when it was not this
    worker's to send). Call it outside a transaction: none is held during the HTTP call."""
    delivery = _delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    status_code, error = _delivery_send(delivery)
    status = _attempt_record(delivery=delivery, status_code=status_code, error=error)
    logger.info(
        "webhook delivery %s (%s) attempt %d: %s", delivery.pk, delivery.event, delivery.attempts, status
    )
    return status


def webhook_retry_due(*, now=None, limit: int = 500) -> int:
    """Queue the pending deliveries whose next attempt is due, and those whose worker's lease
    ran out; how many."""
    now = now or timezone.now()
    # A worker that stopped during an attempt leaves its delivery ``attempting``: once the
    # lease ends that attempt counts as failed, and after the last one the delivery fails.
    WebhookDelivery.objects.filter(
        status=DStatus.ATTEMPTING, next_attempt_at__lte=now, attempts__gte=settings.WEBHOOK_MAX_ATTEMPTS
    ).update(
        status=DStatus.FAILED,
        next_attempt_at=None,
        last_error="no result: the worker stopped during the attempt",
    )
    ids = list(
        WebhookDelivery.objects.filter(
            status__in=[DStatus.PENDING, DStatus.ATTEMPTING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in ids:
        task_signature(WEBHOOK_DELIVER, delivery_id).delay()
    return len(ids)
