"""The partner's agreements: the list, and each agreement's terms in words with a worked example,
its status and acceptance record, and the accept / decline forms (owners and finance), through
the revenue selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from core.domain import DomainError
from revenue import services as revenue_services
from revenue.models import Agreement
from revenue.selectors import agreement_for_partner, agreement_partner_history, agreements_for_partner
from revenue.terms import terms_in_words, worked_example

from ..access import PartnerAccess, partner_page
from ..forms import AgreementAcceptForm, AgreementDeclineForm, add_domain_error

LIST_CAP = 100
# Notes written by code rather than people (translated when shown).
SYSTEM_NOTES = frozenset({gettext_noop("accepted before acceptance existed")})


def _agreement(access: PartnerAccess, pk: int) -> Agreement:
    try:
        return agreement_for_partner(partner=access.partner, agreement_id=pk)
    except Agreement.DoesNotExist as exc:
        raise Http404 from exc


@partner_page("agreements")
def agreement_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    agreements = list(
        agreements_for_partner(partner=access.partner, shown=True).select_related("scenario")[:LIST_CAP]
    )
    rows = [(a, terms_in_words(a.model, a.terms, a.currency)) for a in agreements]
    return render(request, "portal/agreements/list.html", {"access": access, "rows": rows})


def _noted(row):
    """A change row with its note in the reader's language where the note is one the code
    wrote (an English message id, as the migration that recorded old acceptances)."""
    row.note = _(row.reason) if row.reason in SYSTEM_NOTES else row.reason
    return row


def _detail(request, access, agreement, *, accept_form=None, decline_form=None, status=200) -> HttpResponse:
    answerable = agreement.status == Agreement.Status.SENT and access.can_change("agreements")
    context = {
        "access": access,
        "agreement": agreement,
        "terms_text": terms_in_words(agreement.model, agreement.terms, agreement.currency),
        "example": worked_example(agreement.model, agreement.terms, agreement.currency),
        "history": [_noted(row) for row in agreement_partner_history(agreement)],
        "answerable": answerable,
        "accept_form": accept_form or AgreementAcceptForm(initial={"terms_sha256": agreement.terms_sha256}),
        "decline_form": decline_form or AgreementDeclineForm(),
    }
    return render(request, "portal/agreements/detail.html", context, status=status)


@partner_page("agreements")
def agreement_detail(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    return _detail(request, access, _agreement(access, pk))


@require_POST
@partner_page("agreements", change=True)
def agreement_accept(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    agreement = _agreement(access, pk)
    form = AgreementAcceptForm(request.POST)
    if form.is_valid():
        try:
            revenue_services.agreement_accept(
                agreement=agreement, actor=request.user, seen_sha256=form.cleaned_data["terms_sha256"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("You accepted the agreement: it is now in force."))
            return redirect("portal:agreement", pk=pk)
    return _detail(request, access, agreement, accept_form=form, status=400)


@require_POST
@partner_page("agreements", change=True)
def agreement_decline(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    agreement = _agreement(access, pk)
    form = AgreementDeclineForm(request.POST)
    if form.is_valid():
        try:
            revenue_services.agreement_decline(
                agreement=agreement, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("You declined the agreement: the bank has been told why."))
            return redirect("portal:agreement", pk=pk)
    return _detail(request, access, agreement, decline_form=form, status=400)
