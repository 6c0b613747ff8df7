"""The job monitor: beat schedules and the heartbeat, settlement runs and imports with their
live progress (htmx fragments that stop polling once the job is finished)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from console.models import Heartbeat
from console.tasks import heartbeat
from revenue.models import SettlementRun, TransactionImport
from tests.factories import PartnerFactory, StaffFactory
from tests.worker import client_app, running_worker

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.django_db
def test_it_lists_beat_schedules_and_links_to_edit_them(staff_client, staff):
    from django.contrib.auth.models import Permission

    # The link is offered to who may open it (a maker without it: tests/portal/test_next_steps.py).
    staff.user_permissions.add(Permission.objects.get(codename="change_periodictask"))
    every = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="partners-api-usage-flush", task="partners.tasks.api_usage_flush", interval=every
    )
    response = staff_client.get("/staff/jobs/")
    body = response.content.decode()
    assert [t.name for t in response.context["tasks"]] == ["partners-api-usage-flush"]
    assert 'href="/admin/django_celery_beat/periodictask/"' in body


@pytest.mark.django_db
def test_it_shows_a_partial_run_with_its_failed_periods(staff_client):
    SettlementRun.objects.create(
        through="2026-02-28",
        trigger="schedule",
        status="partial",
        periods_planned=4,
        periods_done=2,
        periods_failed=2,
        errors=[
            {
                "partner_id": 1,
                "partner": "skyway",
                "scenario": "travel-finance",
                "agreement": 7,
                "period_start": "2026-01-01",
                "period_end": "2026-01-31",
                "error": "DataError: numeric field overflow",
                "skipped": 1,
            },
            "agreement 3 2025-12-01–2025-12-31: an error of an older run",
        ],
    )

    body = staff_client.get("/staff/jobs/").content.decode()

    assert "Partly failed" in body
    assert "2 periods failed" in body
    assert "skyway · travel-finance 2026-01-01–2026-01-31: DataError: numeric field overflow" in body
    assert "(and 1 later period left for the next run)" in body
    assert "an error of an older run" in body


# --- the heartbeat ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_heartbeat_a_worker_ran_shows_although_the_web_has_another_cache(staff_client, settings):
    settings.TIME_ZONE = "UTC"
    heartbeat.delay()  # eager: as a worker runs it
    # The embedded set-up's cache is each process's memory: the web never sees the worker's.
    cache.clear()

    body = staff_client.get("/staff/jobs/").content.decode()

    written = Heartbeat.objects.get(name=Heartbeat.BEAT).at
    assert f"Last heartbeat from beat and a worker: {written:%Y-%m-%d %H:%M:%S}" in body
    assert "No heartbeat recorded yet" not in body


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_a_real_worker_process_ran_shows_on_the_web(staff_client):
    """The worker is another process with its own memory: what it records must reach the page."""
    with running_worker() as worker:
        result = client_app().send_task("portal.tasks.heartbeat", queue=worker["queues"][0])
        written = result.get(timeout=90)

    body = staff_client.get("/staff/jobs/").content.decode()

    assert Heartbeat.objects.get(name=Heartbeat.BEAT).at.isoformat() == written
    assert "Last heartbeat from beat and a worker:" in body
    assert "No heartbeat recorded yet" not in body


@pytest.mark.django_db
def test_no_heartbeat_ever_asks_whether_beat_runs(staff_client):
    body = staff_client.get("/staff/jobs/").content.decode()

    assert "No heartbeat recorded yet: is beat running?" in body


@pytest.mark.django_db
def test_a_heartbeat_older_than_two_beats_is_called_late(staff_client, settings):
    settings.TIME_ZONE = "UTC"
    Heartbeat.objects.create(name=Heartbeat.BEAT, at=timezone.now() - timedelta(minutes=11))

    body = staff_client.get("/staff/jobs/").content.decode()

    assert "beat or every default worker is down" in body
    assert "Last heartbeat from beat and a worker:" not in body


@pytest.mark.django_db
def test_a_recent_heartbeat_is_not_late(staff_client):
    Heartbeat.objects.create(name=Heartbeat.BEAT, at=timezone.now() - timedelta(minutes=4))

    body = staff_client.get("/staff/jobs/").content.decode()

    assert "Last heartbeat from beat and a worker:" in body
    assert "is down" not in body


# --- transaction imports ------------------------------------------------------------------

STARTED = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def an_import(**fields) -> TransactionImport:
    return TransactionImport.objects.create(
        partner=PartnerFactory(slug="skyway", display_name="Skyway Travel"),
        created_by=StaffFactory(email="maker@bank.example"),
        file="revenue/imports/2026/06/skyway-june.csv",
        **fields,
    )


@pytest.mark.django_db
def test_a_running_import_answers_htmx_with_its_fragment_counts_and_eta(staff_client):
    job = an_import(
        status="running",
        rows_total=10_000,
        rows_done=2_500,
        started_at=STARTED,
        heartbeat_at=STARTED + timedelta(minutes=1),
    )

    response = staff_client.get(f"/staff/jobs/imports/{job.pk}/", **HTMX)
    body = response.content.decode()

    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="job-progress"')  # the fragment, not the page
    assert "<html" not in body
    assert 'hx-trigger="every 2s"' in body
    assert f'hx-get="/staff/jobs/imports/{job.pk}/"' in body
    assert 'value="25"' in body
    assert "2500 of 10000 rows checked" in body
    # 2,500 rows in a minute: 7,500 left take three more minutes from the last progress.
    assert response.context["state"].eta == STARTED + timedelta(minutes=4)
    assert " left" in body
    assert "Reload to see the progress" in body


@pytest.mark.django_db
def test_a_finished_import_fragment_stops_polling(staff_client):
    job = an_import(
        status="succeeded", rows_total=3, rows_done=3, created=2, duplicates=1, started_at=STARTED
    )

    body = staff_client.get(f"/staff/jobs/imports/{job.pk}/", **HTMX).content.decode()

    assert "hx-get" not in body
    assert "hx-trigger" not in body
    assert "100 %" in body
    assert "2 transactions created, 1 already stored" in body
    assert "Reload to see the progress" not in body


@pytest.mark.django_db
def test_an_import_page_without_htmx_is_a_whole_page_that_loads_htmx_from_our_static_files(staff_client):
    job = an_import(status="queued")

    body = staff_client.get(f"/staff/jobs/imports/{job.pk}/").content.decode()

    assert "<html" in body
    assert 'src="/static/django_htmx/htmx-2.min.js"' in body
    assert "Queued" in body
    assert 'hx-trigger="every 2s"' in body
    assert f'<a href="/staff/jobs/imports/{job.pk}/" class="job-reload">' in body


@pytest.mark.django_db
def test_a_refused_import_lists_its_errors_by_row_and_column_in_a_table(staff_client):
    job = an_import(
        status="failed",
        rows_total=4,
        rows_done=4,
        errors=[
            {"row": 3, "field": "amount", "message": "Give an amount like 1234.50."},
            {"row": 4, "field": "external_id", "message": "Repeats row 2."},
            {"row": 0, "field": "", "message": "…and 7 more bad rows."},
        ],
    )

    body = staff_client.get(f"/staff/jobs/imports/{job.pk}/", **HTMX).content.decode()

    assert "<th>Row</th><th>Column</th><th>Problem</th>" in body
    assert "<tr><td>3</td><td><code>amount</code></td><td>Give an amount like 1234.50.</td></tr>" in body
    assert "<tr><td>4</td><td><code>external_id</code></td><td>Repeats row 2.</td></tr>" in body
    assert "<tr><td>—</td><td>—</td><td>…and 7 more bad rows.</td></tr>" in body
    assert "{&#x27;row&#x27;" not in body
    assert "{'row'" not in body


@pytest.mark.django_db
def test_an_unknown_import_is_a_404(staff_client):
    assert staff_client.get("/staff/jobs/imports/999999/", **HTMX).status_code == 404


@pytest.mark.django_db
def test_a_partner_user_may_not_follow_an_import(client, alice):
    job = an_import(status="running")
    client.force_login(alice)

    assert client.get(f"/staff/jobs/imports/{job.pk}/", **HTMX).status_code == 403


@pytest.mark.django_db
def test_the_jobs_page_polls_while_an_import_runs_and_answers_htmx_with_the_jobs_fragment(staff_client):
    job = an_import(status="running", rows_total=200, rows_done=50, started_at=STARTED)

    page = staff_client.get("/staff/jobs/").content.decode()
    fragment = staff_client.get("/staff/jobs/", **HTMX).content.decode()

    assert 'hx-trigger="every 3s"' in page
    assert fragment.lstrip().startswith('<div id="jobs-live"')
    assert "Scheduled tasks" not in fragment
    assert "25 % · 50/200" in fragment
    assert f'href="/staff/jobs/imports/{job.pk}/"' in fragment


@pytest.mark.django_db
def test_the_jobs_page_stops_polling_once_every_job_is_finished(staff_client):
    an_import(status="succeeded", rows_total=2, rows_done=2)

    fragment = staff_client.get("/staff/jobs/", **HTMX).content.decode()

    assert "hx-trigger" not in fragment


@pytest.mark.django_db
def test_the_jobs_fragment_costs_the_same_queries_for_one_job_or_many(
    staff_client, django_assert_num_queries
):
    an_import(status="running")
    staff_client.get("/staff/jobs/", **HTMX)  # session and user cached like any later request
    with django_assert_num_queries(4) as one:
        staff_client.get("/staff/jobs/", **HTMX)
    for n in range(5):
        TransactionImport.objects.create(
            partner=PartnerFactory(), created_by=StaffFactory(), file=f"revenue/imports/f{n}.csv"
        )
    with django_assert_num_queries(len(one.captured_queries)):
        staff_client.get("/staff/jobs/", **HTMX)


# --- settlement runs ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_running_settlement_run_fragment_counts_periods_and_polls(staff_client):
    run = SettlementRun.objects.create(
        through="2026-05-31", trigger="staff", periods_planned=8, periods_done=2, periods_failed=0
    )

    body = staff_client.get(f"/staff/jobs/settlement/{run.pk}/", **HTMX).content.decode()

    assert body.lstrip().startswith('<div id="job-progress"')
    assert "Running" in body
    assert "2 of 8 periods settled" in body
    assert 'hx-trigger="every 2s"' in body


@pytest.mark.django_db
def test_a_finished_run_lists_its_failed_periods_in_a_table_and_stops_polling(staff_client):
    run = SettlementRun.objects.create(
        through="2026-02-28",
        trigger="schedule",
        status="partial",
        periods_planned=2,
        periods_done=1,
        periods_failed=1,
        errors=[
            {
                "partner_id": 1,
                "partner": "skyway",
                "scenario": "travel-finance",
                "agreement": 7,
                "period_start": "2026-01-01",
                "period_end": "2026-01-31",
                "error": "DataError: numeric field overflow",
                "skipped": 1,
            }
        ],
    )

    body = staff_client.get(f"/staff/jobs/settlement/{run.pk}/", **HTMX).content.decode()

    assert "hx-trigger" not in body
    assert (
        "<tr><td>skyway</td><td>travel-finance</td><td>2026-01-01–2026-01-31</td>"
        "<td>DataError: numeric field overflow</td><td>1</td></tr>"
    ) in body
