"""The API access log's retention: on PostgreSQL the log is partitioned by month and whole
months past ``API_ACCESS_LOG_RETENTION_DAYS`` are dropped (``core.partitions``, shared with the
offer log); on SQLite the older entries are deleted."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from partners import tasks
from partners.models import ApiAccessLog
from partners.services import api_access_log_maintain
from partners.services.usage import ACCESS_LOG_PARTITIONS, api_access_log_write

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def entry(at: datetime, path: str = "/api/v1/me/") -> tuple:
    # ``ACCESS_LOG_COLUMNS`` order: at, key prefix, partner, method, route, path, status, latency, IP.
    return (at, "fnk_test", None, "GET", "me/", path, 200, 3, "10.0.0.1")


def test_sqlite_deletes_the_entries_past_the_retention(settings):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL drops partitions (test below)")
    settings.API_ACCESS_LOG_RETENTION_DAYS = 30
    now = datetime(2026, 6, 15, 12, 0, tzinfo=SHANGHAI)
    api_access_log_write(rows=[entry(now - timedelta(days=d), f"/{d}") for d in (40, 31, 29, 0)])

    result = api_access_log_maintain(now=now)

    assert (result.created, result.dropped, result.deleted) == ([], [], 2)
    assert sorted(ApiAccessLog.objects.values_list("path", flat=True)) == ["/0", "/29"]


@pytest.mark.postgres
def test_postgresql_drops_whole_months_past_the_retention_and_keeps_the_rest(settings):
    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    settings.API_ACCESS_LOG_RETENTION_DAYS = 60
    # 23:30 on 31 January in Shanghai is still January (15:30 UTC).
    moments = (
        datetime(2026, 1, 31, 23, 30, tzinfo=SHANGHAI),
        datetime(2026, 2, 1, 0, 30, tzinfo=SHANGHAI),
        datetime(2026, 4, 20, 9, 0, tzinfo=SHANGHAI),
    )
    # The months had no partitions: the write creates them and stores the batch.
    assert api_access_log_write(rows=[entry(m, f"/{m:%m%d}") for m in moments]) == 3
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, count(*) FROM partners_apiaccesslog "
            "WHERE at < '2026-05-01' GROUP BY 1 ORDER BY 1"
        )
        assert cursor.fetchall() == [
            ("partners_apiaccesslog_p202601", 1),
            ("partners_apiaccesslog_p202602", 1),
            ("partners_apiaccesslog_p202604", 1),
        ]

    # On 2 April with 60 days kept the cutoff is 1 February: January goes whole, February stays.
    result = api_access_log_maintain(now=datetime(2026, 4, 2, 12, 0, tzinfo=SHANGHAI))

    assert result.dropped == ["partners_apiaccesslog_p202601"]
    assert result.deleted == 0
    assert result.created == ["partners_apiaccesslog_p202605"]  # April had one already
    assert "partners_apiaccesslog_p202601" not in ACCESS_LOG_PARTITIONS.existing()
    assert "partners_apiaccesslog_p202602" in ACCESS_LOG_PARTITIONS.existing()
    assert sorted(
        ApiAccessLog.objects.filter(at__lt=datetime(2026, 5, 1, tzinfo=SHANGHAI)).values_list(
            "path", flat=True
        )
    ) == [
        "/0201",
        "/0420",
    ]


@pytest.mark.postgres
def test_postgresql_creates_the_month_and_the_next_ahead(settings):
    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    result = api_access_log_maintain(now=datetime(2031, 7, 10, tzinfo=SHANGHAI))

    assert result.created == ["partners_apiaccesslog_p203107", "partners_apiaccesslog_p203108"]
    # Ids stay unique across partitions (one sequence), and the model's key still finds a row.
    api_access_log_write(
        rows=[
            entry(datetime(2031, 7, 11, tzinfo=SHANGHAI)),
            entry(datetime(2031, 8, 1, 9, 0, tzinfo=SHANGHAI)),
        ]
    )
    ids = list(ApiAccessLog.objects.filter(at__year=2031).values_list("pk", flat=True))
    assert len(set(ids)) == 2
    assert ApiAccessLog.objects.get(pk=ids[0]).key_prefix == "fnk_test"


def test_the_daily_task_enforces_the_retention(settings):
    settings.API_ACCESS_LOG_RETENTION_DAYS = 1
    api_access_log_write(rows=[entry(datetime(2020, 1, 5, tzinfo=SHANGHAI))])

    result = tasks.api_access_log_prune()

    assert ApiAccessLog.objects.filter(at__year=2020).count() == 0
    if connection.vendor == "postgresql":
        assert result["dropped"] == ["partners_apiaccesslog_p202001"]
    else:
        assert result["deleted"] == 1
