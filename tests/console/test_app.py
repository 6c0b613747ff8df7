"""The staff console is its own app: its models, URLs, templates, command and scheduled tasks live
in ``console``, its tables keep their names and rows, and the staff groups keep its permission
across the move."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import get_commands
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.template.loader import get_template
from django.urls import resolve, reverse

from console.models import RiskSignal, RiskSignalChange, ScenarioCustomersMonthly, TransactionDaily
from portal.celery import app as celery_app
from portal.roles import AUDITORS, GROUP_PERMISSIONS, PARTNER_MANAGERS
from tests.factories import PartnerFactory

PORTAL_BEFORE = ("portal", "0005_daily_amount_sized_from_transaction_limit")
BEFORE = [PORTAL_BEFORE, ("console", None)]
TABLES = {
    RiskSignal: "portal_risksignal",
    RiskSignalChange: "portal_risksignalchange",
    ScenarioCustomersMonthly: "portal_scenariocustomersmonthly",
    TransactionDaily: "portal_transactiondaily",
}


def test_the_console_models_belong_to_the_console_app_and_keep_their_tables():
    for model, table in TABLES.items():
        assert model._meta.app_label == "console"
        assert model._meta.db_table == table
    assert apps.get_app_config("console").models_module.__name__ == "console.models"


def test_the_pages_keep_their_urls_and_namespace_and_the_app_holds_its_templates():
    assert reverse("console:dashboard") == "/staff/"
    assert resolve("/staff/risk/").func.__module__ == "console.views"
    assert get_template("console/base.html").origin.name.endswith("console/templates/console/base.html")


def test_the_command_and_the_scheduled_tasks_keep_their_names():
    assert get_commands()["console_rollup"] == "console"
    celery_app.loader.import_default_modules()  # what a worker and beat do on start
    for name in ("console_rollup_recent", "console_rollup_nightly", "risk_scan", "heartbeat"):
        task = celery_app.tasks[f"portal.tasks.{name}"]
        assert task.run.__module__ == "console.tasks"


def test_the_partner_managers_decide_risk_signals_through_the_console_permission():
    assert "console.decide_risksignal" in GROUP_PERMISSIONS[PARTNER_MANAGERS]
    assert "portal.decide_risksignal" not in GROUP_PERMISSIONS[PARTNER_MANAGERS]


def test_auditors_still_view_the_console_records(staff_roles):
    auditors = staff_roles[AUDITORS].permissions.filter(content_type__app_label="console")

    assert set(auditors.values_list("codename", flat=True)) == {
        "view_heartbeat",
        "view_risksignal",
        "view_risksignalchange",
        "view_scenariocustomersmonthly",
        "view_transactiondaily",
    }


@pytest.mark.django_db(transaction=True)
def test_the_move_keeps_the_rows_and_the_groups_permission():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    old = executor.loader.project_state(PORTAL_BEFORE, at_end=True).apps
    # As a database migrated before the move: the content types, and so the permission a staff
    # group holds, are portal's; a signal is in the table.
    assert ContentType.objects.filter(app_label="portal", model="risksignal").exists()
    # (the test database has the content types of models the console added after the move)
    assert not ContentType.objects.filter(app_label="console").exclude(model="heartbeat").exists()
    partner = PartnerFactory()
    group = Group.objects.create(name="Risk desk")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="portal", codename="decide_risksignal")
    )
    old.get_model("portal", "RiskSignal").objects.create(
        rule="velocity",
        severity="high",
        partner_id=partner.pk,
        subject="card",
        window_start="2026-06-15",
        window_end="2026-06-15",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    signal = RiskSignal.objects.get()
    assert (signal.partner, signal.subject, signal.status) == (partner, "card", "open")
    assert [f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()] == [
        "console.decide_risksignal"
    ]
    assert not ContentType.objects.filter(app_label="portal", model__startswith="risksignal").exists()
