"""Statements (list, detail with lines, CSV and XLSX, dispute a line), disputes and their
outcome, and transactions (filters, CSV export), through the revenue selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.domain import DomainError
from revenue import exports
from revenue import services as revenue_services
from revenue.models import Statement, Transaction
from revenue.selectors import statement_for_partner, statements_for_partner, transactions_for_partner

from .. import selectors
from ..access import PartnerAccess, partner_page
from ..forms import DisputeForm, TransactionFilterForm, add_domain_error
from .payee import statement_invoice_context

LIST_CAP = 100  # newest rows on the page; the export has them all


def _statement(access: PartnerAccess, pk: int) -> Statement:
    try:
        return statement_for_partner(partner=access.partner, statement_id=pk)
    except Statement.DoesNotExist as exc:
        raise Http404 from exc


@partner_page("statements")
def statement_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    statements = statements_for_partner(partner=access.partner)[:LIST_CAP]
    return render(request, "portal/revenue/statements.html", {"access": access, "statements": statements})


@partner_page("statements")
def statement_detail(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    statement = _statement(access, pk)
    lines = {line.pk: line for line in statement.lines.all()}
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        line = lines.get(form.cleaned_data["line"])
        if line is None:
            raise Http404
        try:
            revenue_services.dispute_raise(line=line, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Your dispute was sent: the bank will answer it on the disputes page.")
            )
            return redirect("portal:statement", pk=pk)
    disputes = selectors.partner_disputes(partner=access.partner, statement=statement)
    disputed = {d.line_id for d in disputes if d.status in ("open", "resolving")}
    return render(
        request,
        "portal/revenue/statement.html",
        {
            "access": access,
            "statement": statement,
            "lines": [(line, line.pk in disputed) for line in lines.values()],
            "disputes": disputes,
            "form": form,
            **statement_invoice_context(access, statement),
        },
    )


@partner_page("statements")
def statement_export(request: HttpRequest, access: PartnerAccess, pk: int, fmt: str) -> HttpResponse:
    statement = _statement(access, pk)
    return exports.statement_xlsx(statement) if fmt == "xlsx" else exports.statement_csv(statement)


@partner_page("statements")
def dispute_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    disputes = selectors.partner_disputes(partner=access.partner)[:LIST_CAP]
    return render(request, "portal/revenue/disputes.html", {"access": access, "disputes": disputes})


@partner_page("statements")
def transaction_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    form = TransactionFilterForm(request.GET or None)
    rows = transactions_for_partner(partner=access.partner, **form.filters() if form.is_bound else {})
    if request.GET.get("export") == "csv":
        return exports.transactions_csv(rows, filename=f"transactions-{access.partner.slug}.csv")
    transactions: list[Transaction] = list(rows.select_related("scenario")[:LIST_CAP])
    return render(
        request,
        "portal/revenue/transactions.html",
        {"access": access, "form": form, "transactions": transactions, "cap": LIST_CAP},
    )
