"""A released batch's files: pain.001.001.03 valid against the official XSD (from the installed
sepaxml package), the same bytes every time; a CSV of the same payments; the command."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from lxml import etree

from payouts.exceptions import PayoutStatusMoveInvalid
from payouts.models import Payout, PayoutBatch
from payouts.pain001 import NS, pain001_bytes, pain001_errors, payments_csv_bytes
from payouts.services.batches import payout_batch_build, payout_batch_release
from tests.revenue.factories import scenario_with_products

from .batch_helpers import (
    ACCOUNT_NUMBER,
    CNAPS_CODE,
    account_verified,
    approved_statement,
    payable_partner,
    staff,
)

pytestmark = pytest.mark.django_db
X = {"p": NS}


@pytest.fixture
def released(staff_roles, settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard", "premier", "strategic")
    settings.PAYOUT_DEBTOR_NAME = "Finance+N Bank Beijing"
    settings.PAYOUT_DEBTOR_ACCOUNT = "110000000000000001"
    settings.PAYOUT_DEBTOR_BANK_BIC = "FNBKCNBJXXX"
    settings.PAYOUT_DEBTOR_BANK_CNAPS = "313100000013"
    maker, checker = staff(staff_roles)
    scenario = scenario_with_products()[0]
    skyway = payable_partner(maker=maker, checker=checker, scenario=scenario, slug="skyway")
    lotus = payable_partner(maker=maker, checker=checker, scenario=scenario, slug="lotus", account=False)
    account_verified(lotus.partner, number="6217000010001234567")
    owed = [approved_statement(skyway, "1200.50"), approved_statement(skyway, "99.99")]
    claw = approved_statement(skyway, "-100.49")
    lotus_owed = approved_statement(lotus, "3000.00")
    batch = payout_batch_build(actor=maker, currency="CNY", requested_execution_date=timezone.localdate())
    payout_batch_release(batch=batch, actor=checker)
    batch.refresh_from_db()
    return batch, owed, claw, lotus_owed


def test_the_file_validates_against_the_official_xsd_and_says_what_is_paid(released):
    batch, owed, claw, lotus_owed = released
    data = pain001_bytes(batch)
    assert pain001_errors(data) == []
    root = etree.fromstring(data)
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", namespaces=X) == batch.message_id
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=X) == "2"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=X) == "4200.00"
    assert (
        root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:InitgPty/p:Nm", namespaces=X) == "Finance+N Bank Beijing"
    )
    payment = root.find("p:CstmrCdtTrfInitn/p:PmtInf", namespaces=X)
    assert payment.findtext("p:ReqdExctnDt", namespaces=X) == batch.requested_execution_date.isoformat()
    assert payment.findtext("p:DbtrAcct/p:Id/p:Othr/p:Id", namespaces=X) == "110000000000000001"
    assert payment.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=X) == "FNBKCNBJXXX"
    transfers = payment.findall("p:CdtTrfTxInf", namespaces=X)
    payouts = list(Payout.objects.filter(batch=batch).order_by("pk"))
    assert [t.findtext("p:PmtId/p:EndToEndId", namespaces=X) for t in transfers] == [
        p.end_to_end_id for p in payouts
    ]
    first = transfers[0]
    amount = first.find("p:Amt/p:InstdAmt", namespaces=X)
    assert (amount.text, amount.get("Ccy")) == ("1200.00", "CNY")
    assert first.findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=X) == ACCOUNT_NUMBER
    assert first.findtext("p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:ClrSysId/p:Cd", namespaces=X) == "CNAPS"
    assert first.findtext("p:CdtrAgt/p:FinInstnId/p:ClrSysMmbId/p:MmbId", namespaces=X) == CNAPS_CODE
    assert first.findtext("p:Cdtr/p:Nm", namespaces=X) == "Skyway Ltd"
    assert first.findtext("p:RmtInf/p:Ustrd", namespaces=X) == (
        f"Statements {owed[0].pk} {owed[1].pk} less {claw.pk}"
    )
    assert transfers[1].findtext("p:CdtrAcct/p:Id/p:Othr/p:Id", namespaces=X) == "6217000010001234567"
    assert transfers[1].findtext("p:RmtInf/p:Ustrd", namespaces=X) == f"Statements {lotus_owed.pk}"


def test_a_file_made_again_is_the_same_bytes(released):
    batch, *_ = released
    first = pain001_bytes(batch)
    again = pain001_bytes(PayoutBatch.objects.get(pk=batch.pk))
    assert first == again
    assert payments_csv_bytes(batch) == payments_csv_bytes(PayoutBatch.objects.get(pk=batch.pk))


def test_a_tampered_file_does_not_validate(released):
    batch, *_ = released
    data = pain001_bytes(batch)
    assert pain001_errors(data.replace(b'Ccy="CNY"', b'Ccy="yuan"'))
    assert pain001_errors(data.replace(b"<NbOfTxs>2</NbOfTxs>", b"<NbOfTxs>two</NbOfTxs>", 1))
    root = etree.fromstring(data)
    end_to_end = root.find(".//p:EndToEndId", namespaces=X)
    end_to_end.getparent().remove(end_to_end)
    assert pain001_errors(etree.tostring(root))
    assert pain001_errors(b"<not-xml")


def test_the_csv_lists_the_same_payments_with_no_live_formula(released):
    batch, *_ = released
    Payout.objects.filter(batch=batch).first().payee_account.__class__.objects.filter(
        partner__slug="lotus"
    ).update(account_name="=HYPERLINK(1)")
    rows = list(csv.reader(io.StringIO(payments_csv_bytes(batch).decode("utf-8-sig"))))
    assert rows[0][:5] == ["message_id", "end_to_end_id", "requested_execution_date", "currency", "amount"]
    assert [(r[1], r[4]) for r in rows[1:]] == [
        (p.end_to_end_id, f"{p.amount:.2f}") for p in Payout.objects.filter(batch=batch).order_by("pk")
    ]
    assert rows[2][5] == "'=HYPERLINK(1)"
    assert sum(Decimal(r[4]) for r in rows[1:]) == batch.total_amount


def test_the_command_writes_the_file_to_stdout(released):
    batch, *_ = released
    out = io.StringIO()
    call_command("payout_file", str(batch.pk), "--format", "pain001", stdout=out)
    assert out.getvalue().encode() == pain001_bytes(batch)
    out = io.StringIO()
    call_command("payout_file", str(batch.pk), "--format", "csv", stdout=out)
    assert out.getvalue().encode() == payments_csv_bytes(batch)


def test_only_a_released_batch_has_a_file(staff_roles, settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard", "premier", "strategic")
    maker, checker = staff(staff_roles)
    skyway = payable_partner(
        maker=maker, checker=checker, scenario=scenario_with_products()[0], slug="skyway"
    )
    approved_statement(skyway, "10.00")
    draft = payout_batch_build(actor=maker, currency="CNY", requested_execution_date=timezone.localdate())
    with pytest.raises(PayoutStatusMoveInvalid):
        pain001_bytes(draft)
    with pytest.raises(CommandError, match="only a released batch"):
        call_command("payout_file", str(draft.pk), "--format", "csv", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No payout batch"):
        call_command("payout_file", "999999", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("payout_file", str(draft.pk), "--format", "mt101", stdout=io.StringIO())
