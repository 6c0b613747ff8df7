"""The payee account (see it, change it) and the VAT invoice of a statement, through the
payouts selectors and services. Another partner's statement is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from payouts import services as payout_services
from payouts.forms import PayeeAccountForm, VatInvoiceForm
from payouts.models import PayeeAccount
from payouts.selectors import (
    invoice_state,
    invoice_waived,
    invoices_for_statement,
    payee_accounts_for_partner,
)
from revenue.models import Statement
from revenue.selectors import statement_for_partner

from ..access import PartnerAccess, partner_page
from ..forms import submit


def _statement(access: PartnerAccess, pk: int) -> Statement:
    try:
        return statement_for_partner(partner=access.partner, statement_id=pk)
    except Statement.DoesNotExist as exc:
        raise Http404 from exc


@partner_page("payee")
def payee_account(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    """The account payouts go to, the change waiting for the bank, and every earlier one."""
    accounts = list(payee_accounts_for_partner(partner=access.partner))
    now = timezone.now()
    verified = next((a for a in accounts if a.status == PayeeAccount.Status.VERIFIED), None)
    return render(
        request,
        "portal/payouts/account.html",
        {
            "access": access,
            "accounts": accounts,
            "verified": verified,
            "cooling": verified is not None and verified.effective_at > now,
            "pending": next((a for a in accounts if a.status == PayeeAccount.Status.PENDING), None),
        },
    )


@sensitive_post_parameters("account_number")  # never in an error report
@partner_page("payee", change=True)
def payee_account_change(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    latest = payee_accounts_for_partner(partner=access.partner).first()
    initial = {"account_name": access.partner.legal_name}
    if latest is not None:
        initial = {f: getattr(latest, f) for f in ("account_name", "bank_name", "branch_name", "cnaps_code")}
    form = PayeeAccountForm(request.POST or None, initial=initial)
    if submit(
        request,
        form,
        lambda data: payout_services.payee_account_submit(partner=access.partner, actor=request.user, **data),
    ):
        messages.success(
            request,
            _("The account was sent to the bank: it pays once verified and after the cooling-off period."),
        )
        return redirect("portal:payee")
    return render(request, "portal/payouts/account_change.html", {"access": access, "form": form})


@partner_page("statements", change=True)
def invoice_record(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    statement = _statement(access, pk)
    total = payout_services.statement_total(statement)
    form = VatInvoiceForm(request.POST or None, request.FILES or None, initial={"total_amount": total})

    def record(data):
        return payout_services.invoice_record(
            statement=statement,
            actor=request.user,
            invoice_code=data["invoice_code"],
            invoice_number=data["invoice_number"],
            issued_on=data["issued_on"],
            amount_before_tax=data["amount_before_tax"],
            tax_rate=data["rate"],
            tax_amount=data["tax_amount"],
            total_amount=data["total_amount"],
            upload=data["file"],
        )

    if submit(request, form, record):
        messages.success(request, _("The invoice was recorded: the bank will verify it."))
        return redirect("portal:statement", pk=pk)
    return render(
        request,
        "portal/payouts/invoice_record.html",
        {"access": access, "form": form, "statement": statement, "total": total},
    )


def statement_invoice_context(access: PartnerAccess, statement: Statement) -> dict:
    """What the statement page shows of its invoice (2 queries at most)."""
    invoices = invoices_for_statement(partner=access.partner, statement_id=statement.pk)
    return {
        "invoices": invoices,
        "invoice_state": invoice_state(
            statement=statement, invoices=invoices, waived=invoice_waived(partner=access.partner)
        ),
    }
