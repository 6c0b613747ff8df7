"""The analytics roll-ups: rebuilt per business day (and per month for customers) straight
from the ledger with one INSERT … SELECT each, so no row of the ledger passes through Python.

The ledger is append-only, and a transaction can arrive late for an earlier business date; the
frequent refresh rebuilds the last few days, the nightly one a longer look-back (settings
``CONSOLE_ROLLUP_RECENT_DAYS`` and ``CONSOLE_ROLLUP_NIGHTLY_DAYS``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection, transaction

from console.models import ScenarioCustomersMonthly, TransactionDaily
from core.money import money_sum_sql
from revenue.models import Transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RollupResult:
    days: int
    rows: int
    months: int


def _month_starts(start: date, end: date) -> list[date]:
    months, current = [], start.replace(day=1)
    while current <= end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@transaction.atomic
def transaction_rollup_refresh(*, start: date, end: date) -> RollupResult:
    """Rebuild the daily roll-up for business dates ``start``…``end`` and the customer counts
    of every month they touch. Idempotent: running it twice gives the same rows."""
    daily, ledger = TransactionDaily._meta.db_table, Transaction._meta.db_table
    customers = ScenarioCustomersMonthly._meta.db_table
    months = _month_starts(start, end)
    TransactionDaily.objects.filter(day__gte=start, day__lte=end).delete()
    ScenarioCustomersMonthly.objects.filter(month__in=months).delete()
    amount = money_sum_sql("amount", vendor=connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {daily} (day, partner_id, scenario_code, product_id, kind, count, amount)
            SELECT occurred_on, partner_id, scenario_code, product_id, kind, COUNT(*), {amount}
            FROM {ledger} WHERE occurred_on >= %s AND occurred_on <= %s
            GROUP BY occurred_on, partner_id, scenario_code, product_id, kind""",  # noqa: S608 - table names only
            [start, end],
        )
        rows = cursor.rowcount
        for month in months:
            # A customer counts once per partner and scenario; cross-sell: sales in 2+ products.
            cursor.execute(
                f"""INSERT INTO {customers} (month, partner_id, scenario_code, customers, cross_sell_customers)
                SELECT %s, partner_id, scenario_code, COUNT(*), SUM(CASE WHEN products > 1 THEN 1 ELSE 0 END)
                FROM (
                    SELECT partner_id, scenario_code, customer_ref, COUNT(DISTINCT product_id) AS products
                    FROM {ledger}
                    WHERE occurred_on >= %s AND occurred_on <= %s AND kind = 'sale' AND customer_ref <> ''
                    GROUP BY partner_id, scenario_code, customer_ref
                ) per_customer
                GROUP BY partner_id, scenario_code""",  # noqa: S608 - table names only
                [month, month, _month_end(month)],
            )
    logger.info("transaction roll-up rebuilt for %s..%s: %s rows, %s months", start, end, rows, len(months))
    return RollupResult(days=(end - start).days + 1, rows=rows, months=len(months))
