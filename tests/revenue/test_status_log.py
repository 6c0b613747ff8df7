"""The revenue status logs built by ``status_log`` are the tables their migrations made: same
fields, related names and text, so moving them onto one base needed no migration."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from revenue.models import Dispute, DisputeEvent, Statement, StatementStatusChange

LOGS = {"statementstatuschange", "disputeevent"}


def test_the_status_logs_need_no_migration():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    changes = MigrationAutodetector(loader.project_state(), ProjectState.from_apps(apps)).changes(
        graph=loader.graph
    )
    touching = [
        op
        for migration in changes.get("revenue", [])
        for op in migration.operations
        if (getattr(op, "model_name", None) or getattr(op, "name", "")).lower() in LOGS
    ]
    assert touching == []


@pytest.mark.parametrize(
    ("log", "record", "related_name"),
    [(StatementStatusChange, Statement, "status_changes"), (DisputeEvent, Dispute, "events")],
)
def test_each_log_points_at_its_record_with_its_own_statuses(log, record, related_name):
    field = log._meta.get_field(record._meta.model_name)
    assert (field.related_model, field.remote_field.related_name) == (record, related_name)
    assert [f.name for f in log._meta.fields] == [
        "id",
        "changed_by",
        "changed_at",
        "reason",
        record._meta.model_name,
        "from_status",
        "to_status",
    ]
    assert log._meta.get_field("from_status").choices == record.Status.choices
    assert log._meta.get_field("from_status").blank  # empty on the row that created the record
    assert not log._meta.get_field("to_status").blank
    assert log._meta.ordering == ("-changed_at", "-id")


def test_a_log_row_reads_as_the_move_in_the_statuses_names():
    # The admin shows it above each row of a record's history: names, no codes, no database id.
    assert str(StatementStatusChange(statement_id=7, from_status="", to_status="draft")) == "∅ → Draft"
    assert (
        str(DisputeEvent(dispute_id=3, from_status="open", to_status="resolving"))
        == "Open → Adjustment pending approval"
    )
