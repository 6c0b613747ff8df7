"""The admin side: a finance maker enters an account for a partner (and may then not verify
it), a checker verifies it with the list action; the invoice queue shows waived partners."""

from __future__ import annotations

import pytest
from django.urls import reverse

from payouts.models import PayeeAccount, VatInvoice

from .conftest import pdf_upload

pytestmark = pytest.mark.django_db

FIELDS = {
    "account_name": "Acme Travel (Shanghai) Co., Ltd.",
    "bank_name": "Bank of Shanghai",
    "branch_name": "Pudong branch",
    "cnaps_code": "313290000017",
    "account_number": "6222001234567890",
    "name_mismatch_reason": "",
}


def test_a_maker_enters_an_account_and_only_another_person_verifies_it(client, acme, maker, checker):
    client.force_login(maker)
    response = client.post(reverse("admin:payouts_payeeaccount_add"), {**FIELDS, "partner": acme.pk})
    assert response.status_code == 302
    account = PayeeAccount.objects.get()
    assert account.submitted_by == maker

    refused = client.post(
        reverse("admin:payouts_payeeaccount_add"), {**FIELDS, "partner": acme.pk, "cnaps_code": "1"}
    )
    assert "The CNAPS code is 12 digits." in refused.content.decode()

    changelist = reverse("admin:payouts_payeeaccount_changelist")
    client.force_login(checker)
    client.post(
        changelist, {"action": "verify", "_selected_action": [account.pk], "confirm": "1", "reason": ""}
    )
    account.refresh_from_db()
    assert account.status == "verified"
    assert account.verified_by == checker


def test_the_maker_is_not_offered_their_own_account(client, acme, maker, staff_roles):
    from django.contrib.auth.models import Permission

    maker.user_permissions.add(Permission.objects.get(codename="verify_payeeaccount"))
    client.force_login(maker)
    client.post(reverse("admin:payouts_payeeaccount_add"), {**FIELDS, "partner": acme.pk})
    account = PayeeAccount.objects.get()

    response = client.post(
        reverse("admin:payouts_payeeaccount_changelist"),
        {"action": "verify", "_selected_action": [account.pk], "confirm": "1", "reason": ""},
        follow=True,
    )

    account.refresh_from_db()
    assert account.status == "pending"
    assert "another staff member decides it" in response.content.decode()


def test_a_maker_enters_an_invoice_that_another_person_verifies(client, statement, maker, checker):
    client.force_login(maker)
    response = client.post(
        reverse("admin:payouts_vatinvoice_add"),
        {
            "statement": statement.pk,
            "invoice_code": "3100231130",
            "invoice_number": "01234567",
            "issued_on": "2026-02-03",
            "amount_before_tax": "1000.00",
            "tax_rate": "0.06",
            "tax_amount": "60.00",
            "total_amount": "1060.00",
            "file": pdf_upload(),
        },
    )
    assert response.status_code == 302
    invoice = VatInvoice.objects.get()
    assert invoice.submitted_by == maker

    client.force_login(checker)
    queue = client.get(reverse("admin:payouts_vatinvoice_changelist"), {"status__exact": "submitted"})
    assert reverse("admin:payouts_vatinvoice_download", args=[invoice.pk]) in queue.content.decode()
    client.post(
        reverse("admin:payouts_vatinvoice_changelist"),
        {"action": "verify", "_selected_action": [invoice.pk], "confirm": "1", "reason": ""},
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.reviewed_by) == ("verified", checker)
    page = client.get(reverse("admin:payouts_vatinvoice_change", args=[invoice.pk])).content.decode()
    assert reverse("admin:payouts_vatinvoice_download", args=[invoice.pk]) in page
    assert "/media/" not in page
