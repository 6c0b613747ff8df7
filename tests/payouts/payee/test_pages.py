"""Portal pages of the payee account and the VAT invoice, and the staff side (admin queue,
file download, approvals inbox): who may do what, masking, tenant isolation, fixed query
counts, both languages."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from payouts import services
from payouts.models import PayeeAccount, VatInvoice
from tests.factories import StaffFactory

from .conftest import PDF, member, pdf_upload

pytestmark = pytest.mark.django_db

ACCOUNT = {
    "account_name": "Acme Travel (Shanghai) Co., Ltd.",
    "bank_name": "Bank of Shanghai",
    "branch_name": "Pudong branch",
    "cnaps_code": "313290000017",
    "account_number": "6222001234567890",
}
INVOICE = {
    "invoice_code": "3100231130",
    "invoice_number": "01234567",
    "issued_on": "2026-02-03",
    "amount_before_tax": "1000.00",
    "tax_rate": "0.06",
    "tax_amount": "60.00",
    "total_amount": "1060.00",
}
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def invoice_of(statement, actor):
    fields = {**INVOICE, "issued_on": date(2026, 2, 3)}
    return services.invoice_record(statement=statement, actor=actor, upload=pdf_upload(), **fields)


def test_an_owner_adds_the_account_and_sees_it_masked_with_its_history(client, alice, acme):
    client.force_login(alice)

    response = client.post(reverse("portal:payee-change"), ACCOUNT)

    assert response["Location"] == reverse("portal:payee")
    page = client.get(reverse("portal:payee")).content.decode()
    assert "****7890" in page
    assert "6222001234567890" not in page
    assert "waits for the bank" in page
    assert PayeeAccount.objects.get().submitted_by == alice


def test_the_form_names_the_field_it_refuses(client, fiona, acme):
    client.force_login(fiona)

    response = client.post(reverse("portal:payee-change"), {**ACCOUNT, "cnaps_code": "123"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"cnaps_code": ["The CNAPS code is 12 digits."]}
    response = client.post(reverse("portal:payee-change"), {**ACCOUNT, "account_name": "Someone Else Ltd."})
    assert list(response.context["form"].errors) == ["name_mismatch_reason"]
    assert not PayeeAccount.objects.exists()


def test_a_developer_cannot_change_it_and_a_viewer_only_reads(client, bob, acme):
    viewer = member(acme, "victor@acme.test", "viewer")
    client.force_login(bob)
    assert client.get(reverse("portal:payee")).status_code == 403
    assert client.post(reverse("portal:payee-change"), ACCOUNT).status_code == 403

    client.force_login(viewer)
    page = client.get(reverse("portal:payee")).content.decode()
    assert 'id="payee-change"' not in page
    assert client.post(reverse("portal:payee-change"), ACCOUNT).status_code == 403
    assert not PayeeAccount.objects.exists()


@pytest.mark.parametrize("size", [1, 4])
def test_the_payee_page_costs_the_same_queries_whatever_the_history(
    client, alice, acme, checker, size, django_assert_num_queries
):
    for n in range(size):
        account = services.payee_account_submit(
            partner=acme, actor=alice, **{**ACCOUNT, "account_number": f"62220012345678{n:02d}"}
        )
    services.payee_account_verify(account=account, actor=checker)
    client.force_login(alice)

    # session, user, memberships, accounts, their changes, the bell
    with django_assert_num_queries(6):
        response = client.get(reverse("portal:payee"))
    assert response.status_code == 200


def test_the_payee_page_in_chinese(client, alice, acme):
    client.force_login(alice)

    page = client.get(reverse("portal:payee"), **CHINESE).content.decode()

    assert "收款账户" in page


def test_finance_records_the_invoice_from_the_statement_page(client, fiona, statement):
    client.force_login(fiona)
    page = client.get(reverse("portal:statement", args=[statement.pk])).content.decode()
    assert 'id="record-invoice"' in page

    response = client.post(
        reverse("portal:statement-invoice", args=[statement.pk]), {**INVOICE, "file": pdf_upload()}
    )

    assert response["Location"] == reverse("portal:statement", args=[statement.pk])
    invoice = VatInvoice.objects.get()
    assert invoice.submitted_by == fiona
    page = client.get(reverse("portal:statement", args=[statement.pk])).content.decode()
    assert "Awaiting verification" in page
    assert 'id="record-invoice"' not in page


def test_the_invoice_form_names_the_mismatched_field_and_a_fake_pdf(client, fiona, statement):
    client.force_login(fiona)
    url = reverse("portal:statement-invoice", args=[statement.pk])

    wrong_tax = client.post(url, {**INVOICE, "tax_amount": "61.00", "file": pdf_upload()})
    fake = client.post(url, {**INVOICE, "file": pdf_upload(b"MZ\x90\x00 not a pdf")})
    other_rate = client.post(url, {**INVOICE, "tax_rate": "other", "file": pdf_upload()})

    assert list(wrong_tax.context["form"].errors) == ["tax_amount"]
    assert list(fake.context["form"].errors) == ["file"]
    assert list(other_rate.context["form"].errors) == ["tax_rate_other"]
    assert not VatInvoice.objects.exists()


def test_another_partners_statement_is_a_404(client, charlie, statement):
    client.force_login(charlie)

    assert client.get(reverse("portal:statement-invoice", args=[statement.pk])).status_code == 404
    response = client.post(
        reverse("portal:statement-invoice", args=[statement.pk]), {**INVOICE, "file": pdf_upload()}
    )
    assert response.status_code == 404
    assert not VatInvoice.objects.exists()


def test_a_waived_partner_sees_waived(client, fiona, statement, settings):
    settings.PAYOUT_INVOICE_WAIVED_TIERS = ("standard",)
    client.force_login(fiona)

    page = client.get(reverse("portal:statement", args=[statement.pk])).content.decode()

    assert "Waived" in page
    assert 'id="record-invoice"' not in page


@pytest.mark.parametrize("with_invoice", [False, True])
def test_the_statement_page_costs_the_same_queries_with_an_invoice(
    client, fiona, statement, with_invoice, django_assert_num_queries
):
    if with_invoice:
        invoice_of(statement, fiona)
    client.force_login(fiona)

    # session, user, memberships, statement, lines, disputes, invoices, their changes, the bell
    with django_assert_num_queries(9 if with_invoice else 8):
        response = client.get(reverse("portal:statement", args=[statement.pk]), **CHINESE)
    assert "增值税发票" in response.content.decode()


def test_staff_download_the_file_privately_and_partners_cannot(client, fiona, statement, checker):
    invoice = invoice_of(statement, fiona)
    url = reverse("admin:payouts_vatinvoice_download", args=[invoice.pk])

    client.force_login(checker)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]

    client.force_login(fiona)
    assert client.get(url).status_code in (302, 403)


def test_the_admin_shows_the_full_number_only_with_the_permission(client, alice, acme, checker, maker):
    account = services.payee_account_submit(partner=acme, actor=alice, **ACCOUNT)
    url = reverse("admin:payouts_payeeaccount_change", args=[account.pk])

    client.force_login(maker)
    masked = client.get(url).content.decode()
    client.force_login(checker)
    full = client.get(url).content.decode()

    assert "****7890" in masked
    assert "6222001234567890" not in masked
    assert "6222001234567890" in full


def test_the_inbox_offers_verification_to_a_checker_never_to_who_entered_it(
    client, acme, alice, statement, fiona, checker
):
    boss = StaffFactory(email="boss@bank.test", is_superuser=True)
    account = services.payee_account_submit(partner=acme, actor=boss, **ACCOUNT)

    client.force_login(boss)
    page = client.get(reverse("console:inbox")).content.decode()
    assert 'id="inbox-payee_account"' in page
    assert "You made this request (you entered it)" in page
    response = client.post(reverse("console:inbox_decide", args=["payee_account", account.pk, "verify"]), {})
    account.refresh_from_db()
    assert account.status == "pending"

    client.force_login(checker)
    client.post(reverse("console:inbox_decide", args=["payee_account", account.pk, "verify"]), {})
    account.refresh_from_db()
    assert account.status == "verified"
    assert response.status_code == 302


def test_the_inbox_verifies_and_rejects_invoices(client, statement, fiona, checker):
    invoice = invoice_of(statement, fiona)
    client.force_login(checker)

    page = client.get(reverse("console:inbox")).content.decode()
    assert 'id="inbox-vat_invoice"' in page
    client.post(
        reverse("console:inbox_decide", args=["vat_invoice", invoice.pk, "reject"]), {"reason": "blurred"}
    )

    invoice.refresh_from_db()
    assert (invoice.status, invoice.rejection_reason) == ("rejected", "blurred")
