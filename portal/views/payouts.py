"""The partner's payouts (DESIGN §8 ``/portal/payouts/``): each payment the bank sent or is
sending, with its batch date, amount, netting lines and status, and its remittance advice as
PDF or CSV. Another partner's payout is a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from payouts.models import Payout
from payouts.remittance import remittance_csv, remittance_pdf
from payouts.selectors import payout_for_partner, payout_lines, payouts_for_partner

from ..access import PartnerAccess, partner_page

LIST_CAP = 100


def _payout(access: PartnerAccess, pk: int) -> Payout:
    try:
        return payout_for_partner(partner=access.partner, payout_id=pk)
    except Payout.DoesNotExist as exc:
        raise Http404 from exc


@partner_page("statements")
def payout_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    payouts = list(payouts_for_partner(partner=access.partner)[:LIST_CAP])
    return render(request, "portal/payouts/list.html", {"access": access, "payouts": payouts})


@partner_page("statements")
def payout_detail(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    payout = _payout(access, pk)
    return render(
        request,
        "portal/payouts/detail.html",
        {"access": access, "payout": payout, "lines": payout_lines(payout)},
    )


@partner_page("statements")
def payout_remittance(request: HttpRequest, access: PartnerAccess, pk: int, fmt: str) -> HttpResponse:
    payout = _payout(access, pk)
    lines = payout_lines(payout)
    return remittance_pdf(payout, lines) if fmt == "pdf" else remittance_csv(payout, lines)
