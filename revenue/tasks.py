"""Thin Celery wrappers of the settlement, import and recovery services (routed to the
``settlement`` queue by ``CELERY_TASK_ROUTES``; the watchdog to the default queue)."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from .periods import Period
from .services import sandbox_purge as purge_sandbox
from .services import settlement_period_settle, settlement_start
from .services.funnel import funnel_sales_refresh as funnel_refresh
from .services.imports import transaction_import_run
from .services.recovery import settlement_watchdog as watchdog


@shared_task(name="revenue.tasks.settle")
def settle(through: str | None = None, trigger: str = "schedule", by_id: int | None = None) -> dict:
    """Settle every period closed on or before ``through`` (default: yesterday, Asia/Shanghai)."""
    day = date.fromisoformat(through) if through else timezone.localdate() - timedelta(days=1)
    actor = get_user_model().objects.filter(pk=by_id).first() if by_id is not None else None
    task_id = settle.request.id or ""
    run = settlement_start(through=day, trigger=trigger, actor=actor, task_id=task_id)
    return {"run": run.pk, "periods_planned": run.periods_planned}


@shared_task(name="revenue.tasks.statement_generate", acks_late=True)
def statement_generate(run_id: int, agreement_id: int, start: str, end: str) -> dict:
    """One period of a run. A period's failure is recorded on the run and the chain goes on
    (its later periods are skipped and counted), so the run always ends with its counts."""
    result = settlement_period_settle(
        run_id=run_id,
        agreement_id=agreement_id,
        period=Period(date.fromisoformat(start), date.fromisoformat(end)),
    )
    if result is None or result.statement is None:
        return {"statement": None, "created": False, "transactions": 0}
    return {"statement": result.statement.pk, "created": result.created, "transactions": result.transactions}


@shared_task(name="revenue.tasks.transaction_import")
def transaction_import(import_id: int) -> dict:
    job = transaction_import_run(import_id=import_id)
    return {"status": job.status, "created": job.created, "errors": len(job.errors)}


@shared_task(name="revenue.tasks.settlement_watchdog")
def settlement_watchdog() -> dict:
    """Beat, every few minutes: resume stalled settlement runs, end imports whose worker died."""
    result = watchdog()
    return {
        "runs_resumed": result.runs_resumed,
        "periods_dispatched": result.periods_dispatched,
        "imports_failed": result.imports_failed,
    }


@shared_task(name="revenue.tasks.funnel_sales_refresh")
def funnel_sales_refresh() -> dict:
    """Fold newly received attributed transactions into the funnel's roll-ups (beat, 5 min)."""
    result = funnel_refresh()
    return {"transactions": result.transactions, "days": result.days}


@shared_task(name="revenue.tasks.sandbox_purge")
def sandbox_purge() -> dict:
    """Delete sandbox data older than ``SANDBOX_RETENTION_DAYS`` (beat, daily)."""
    return purge_sandbox()._asdict()
