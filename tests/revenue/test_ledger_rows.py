"""Ledger rows travel as named tuples (``LedgerRow``) whose fields are the ledger's columns."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from revenue import ledger_sql
from revenue.models import Transaction
from revenue.services.ledger import INSERT_COLUMNS, LedgerRow, ledger_row, partner_catalog

from .factories import item, record

pytestmark = pytest.mark.django_db


def test_a_ledger_row_names_every_stored_column_but_the_id_and_late():
    stored = [f.column for f in Transaction._meta.concrete_fields if f.column != "id"]
    assert sorted(INSERT_COLUMNS) == sorted(stored)
    assert tuple(c for c in ledger_sql.COLUMNS if c != "id") == INSERT_COLUMNS
    assert (*LedgerRow._fields, "late") == INSERT_COLUMNS


def test_a_refund_row_carries_its_sale_by_name_until_stored(partner, agreement):
    sale = item(amount="80.00", day=date(2026, 1, 10))
    record(partner, sale)
    refund = item(kind="refund", amount="30.00", day=date(2026, 1, 11), refund_of=sale["external_id"])
    catalog = partner_catalog(partner=partner)

    row = ledger_row(partner.pk, refund, catalog, 0, timezone.now(), "api", connection.ops)

    assert isinstance(row, LedgerRow)
    assert (row.external_id, row.kind, row.refund_of_id) == (
        refund["external_id"],
        "refund",
        sale["external_id"],
    )
    assert row.scenario_code == refund["scenario"]
    record(partner, refund)
    stored = Transaction.objects.get(external_id=refund["external_id"])
    assert stored.refund_of.external_id == sale["external_id"]
    assert stored.content_hash == row.content_hash
