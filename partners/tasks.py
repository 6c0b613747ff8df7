"""Thin Celery tasks of the partners app: each calls one service."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="partners.tasks.document_expiry_sweep")
def document_expiry_sweep() -> dict:
    """Daily (beat): expire documents past their date, flag those expiring soon."""
    result = services.document_expiry_sweep()
    return {
        "expired": result.expired,
        "flagged": result.flagged,
        "partners_notified": result.partners_notified,
    }
