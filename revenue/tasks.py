"""Thin Celery wrappers of the settlement and import services (routed to the ``settlement``
queue by ``CELERY_TASK_ROUTES``)."""

from __future__ import annotations

import time
from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .periods import Period


@shared_task(name="revenue.tasks.settle")
def settle(through: str | None = None, trigger: str = "schedule", by_id: int | None = None) -> dict:
    """Settle every period closed on or before ``through`` (default: yesterday, Asia/Shanghai)."""
    from .services import settlement_start

    day = date.fromisoformat(through) if through else timezone.localdate() - timedelta(days=1)
    by = None
    if by_id is not None:
        from django.contrib.auth import get_user_model

        by = get_user_model().objects.filter(pk=by_id).first()
    task_id = settle.request.id or ""
    run = settlement_start(through=day, trigger=trigger, by=by, task_id=task_id)
    return {"run": run.pk, "periods_planned": run.periods_planned}


@shared_task(name="revenue.tasks.statement_generate", acks_late=True)
def statement_generate(run_id: int, agreement_id: int, start: str, end: str) -> dict:
    from .services import settlement_run_fail
    from .services import statement_generate as generate

    try:
        result = generate(
            agreement_id=agreement_id,
            period=Period(date.fromisoformat(start), date.fromisoformat(end)),
            run_id=run_id,
        )
    except Exception as exc:
        settlement_run_fail(
            run_id=run_id, error=f"agreement {agreement_id} {start}–{end}: {exc.__class__.__name__}: {exc}"
        )
        raise
    # Test-only: a pause between periods lets a reliability test kill the worker mid-run.
    if settings.REVENUE_SETTLEMENT_PAUSE_SECONDS:
        time.sleep(settings.REVENUE_SETTLEMENT_PAUSE_SECONDS)
    statement = result.statement.pk if result.statement is not None else None
    return {"statement": statement, "created": result.created, "transactions": result.transactions}


@shared_task(name="revenue.tasks.transaction_import")
def transaction_import(import_id: int) -> dict:
    from .services.imports import transaction_import_run

    job = transaction_import_run(import_id=import_id)
    return {"status": job.status, "created": job.created, "errors": len(job.errors)}
