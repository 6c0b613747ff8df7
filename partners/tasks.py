"""Thin Celery tasks of the partners app: each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import services
from .api.counters import flush_access_log, flush_usage
from .api.deprecation import flush_deprecation_usage


@shared_task(name="partners.tasks.document_expiry_sweep")
def document_expiry_sweep() -> dict:
    """Daily (beat): expire documents past their date, flag those expiring soon."""
    result = services.document_expiry_sweep()
    return {
        "expired": result.expired,
        "flagged": result.flagged,
        "partners_notified": result.partners_notified,
    }


# --------------------------------------------------------------------------------------
# Open API: usage metering, access log, keys, webhooks
# --------------------------------------------------------------------------------------
@shared_task(name="partners.tasks.api_usage_flush")
def api_usage_flush() -> int:
    """Every minute (beat): move the usage counters from the cache into ``ApiUsage``."""
    flush_access_log()
    flush_deprecation_usage()
    return flush_usage()


@shared_task(name="partners.tasks.api_access_log_prune")
def api_access_log_prune() -> dict:
    """Daily (beat): enforce the access log's retention (PostgreSQL: create the months ahead and
    drop whole months past it; SQLite: delete the older entries)."""
    result = services.api_access_log_maintain()
    return {"created": result.created, "dropped": result.dropped, "deleted": result.deleted}


@shared_task(name="partners.tasks.api_key_expiry_sweep")
def api_key_expiry_sweep() -> int:
    """Daily (beat): tell partners (``key.expiring`` webhook) about keys expiring soon."""
    return services.api_key_expiry_sweep()


# A backstop behind the service's own deadline (the service records a failed attempt when the
# soft limit interrupts it; past the hard limit the retry sweep takes the delivery over).
@shared_task(
    name="partners.tasks.webhook_deliver",
    soft_time_limit=settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS + 15,
    time_limit=settings.WEBHOOK_DELIVERY_DEADLINE_SECONDS + 45,
)
def webhook_deliver(delivery_id: int) -> str:
    """Send one webhook delivery (one attempt); a failure is retried by ``webhook_retry_due``."""
    return services.webhook_deliver(delivery_id=delivery_id)


@shared_task(name="partners.tasks.webhook_retry_due")
def webhook_retry_due() -> int:
    """Every minute (beat): queue the failed deliveries whose next attempt is due."""
    return services.webhook_retry_due()


# --------------------------------------------------------------------------------------
# Notifications
# --------------------------------------------------------------------------------------
@shared_task(name="partners.tasks.notification_email_send")
def notification_email_send(notification_ids: list[int]) -> int:
    """After a notification's commit: e-mail those whose recipients chose "immediately"."""
    return services.notification_email_send(notification_ids=notification_ids)


@shared_task(name="partners.tasks.notification_digest_send")
def notification_digest_send() -> int:
    """Daily (beat): one digest e-mail per person of what waited for it."""
    return services.notification_digest_send()


@shared_task(name="partners.tasks.quota_threshold_notify")
def quota_threshold_notify(
    partner_id: int, threshold: int, used: int, quota: int, month: str, sandbox: bool = False
) -> None:
    """Queued by the API call that reached 80 % or 100 % of its partner's monthly quota (the
    sandbox quota for a sandbox key's call)."""
    services.quota_threshold_notify(
        partner_id=partner_id, threshold=threshold, used=used, quota=quota, month=month, sandbox=sandbox
    )


@shared_task(name="partners.tasks.api_deprecation_notices_send")
def api_deprecation_notices_send() -> int:
    """Daily (beat): tell the partners whose keys used a deprecated route or field lately."""
    flush_deprecation_usage()
    return services.api_deprecation_notices_send()
