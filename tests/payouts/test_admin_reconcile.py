"""The admin: a finance maker uploads a bank statement and sees its summary; a checker who did
not import it decides the open entries, with a reason."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payouts.models import BankStatementEntry, BankStatementImport

from .camt import Tx, camt053_written

pytestmark = pytest.mark.django_db

UPLOAD = "admin:payouts_bankstatementimport_upload"
ENTRIES = "admin:payouts_bankstatemententry_changelist"


def upload(client, content: bytes, name="statement.xml"):
    return client.post(reverse(UPLOAD), {"file": SimpleUploadedFile(name, content)})


def test_the_upload_shows_the_summary_and_a_second_upload_changes_nothing(client, clerk, batch):
    acme = batch.payouts.get(partner__slug="acme")
    content = camt053_written(Tx(acme.end_to_end_id, "1050.50"), Tx("NOT-OURS", "2.00"))
    client.force_login(clerk)

    html = upload(client, content).content.decode()
    assert 'id="summary"' in html
    assert "1,050.50" in html
    assert "Unknown end-to-end id" in html

    again = upload(client, content).content.decode()
    assert "This file was imported before: nothing changed." in again
    assert BankStatementImport.objects.count() == 1


def test_a_hostile_upload_is_a_400_naming_the_problem(client, clerk):
    client.force_login(clerk)
    response = upload(client, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Document/>')
    assert response.status_code == 400
    assert "DOCTYPE" in response.content.decode()
    assert not BankStatementImport.objects.exists()


def test_the_upload_needs_the_permission(client, decider):
    client.force_login(decider)
    assert client.get(reverse(UPLOAD)).status_code == 403


def test_the_open_entries_are_decided_by_another_person_with_a_reason(
    client, decider, checker, batch, staff_roles
):
    # The decider may also import: whoever imported a file never decides its entries.
    decider.groups.add(staff_roles["Finance makers"])
    acme = batch.payouts.get(partner__slug="acme")
    client.force_login(decider)
    upload(client, camt053_written(Tx(acme.end_to_end_id, "1050.00")))
    entry = BankStatementEntry.objects.get()
    assert str(entry.end_to_end_id) in client.get(reverse(ENTRIES)).content.decode()

    step = {"action": "accept_as_paid", "_selected_action": [entry.pk]}
    refused = client.post(reverse(ENTRIES), {**step, "confirm": "1", "reason": "fee"}, follow=True)
    assert "someone else decides" in refused.content.decode()
    entry.refresh_from_db()
    assert entry.decision == ""

    client.force_login(checker)
    client.post(reverse(ENTRIES), {**step, "confirm": "1", "reason": "Bank fee of 0.50"})
    entry.refresh_from_db()
    acme.refresh_from_db()
    assert (entry.decision, entry.decided_by, acme.status) == ("accepted", checker, "paid")
    assert entry.pk not in [e.pk for e in client.get(reverse(ENTRIES)).context["cl"].result_list]


def test_a_maker_is_offered_no_decision(client, clerk, batch):
    acme = batch.payouts.get(partner__slug="acme")
    client.force_login(clerk)
    upload(client, camt053_written(Tx(acme.end_to_end_id, "1050.00")))
    entry = BankStatementEntry.objects.get()
    client.post(
        reverse(ENTRIES),
        {"action": "accept_as_paid", "_selected_action": [entry.pk], "confirm": "1", "reason": "x"},
    )
    entry.refresh_from_db()
    assert entry.decision == ""
