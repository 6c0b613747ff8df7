"""Scenarios for partners: browse published bundles (own industry first), see products, terms,
rewards and the data-use purpose, ask to join, see participation, try the offer engine."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.domain import DomainError
from scenarios import services as scenario_services
from scenarios.models import OfferRecord
from scenarios.selectors import offers_in_words, scenarios_joinable_for_partner

from .. import selectors
from ..access import PartnerAccess, partner_page
from ..forms import JoinForm, OfferForm, add_domain_error


@partner_page("scenarios")
def scenario_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    industry = access.partner.industry_id
    joinable = sorted(
        scenarios_joinable_for_partner(partner=access.partner), key=lambda s: s.industry_id != industry
    )
    return render(
        request,
        "portal/scenarios/list.html",
        {
            "access": access,
            "joinable": joinable,
            "participations": selectors.partner_participations(partner=access.partner),
        },
    )


def _scenario(access: PartnerAccess, code: str):
    scenario = selectors.scenario_visible_to_partner(partner=access.partner, code=code)
    if scenario is None:
        raise Http404
    return scenario


def _participation(access: PartnerAccess, code: str):
    return selectors.partner_participations(partner=access.partner).filter(scenario_code=code).first()


@partner_page("scenarios")
def scenario_detail(request: HttpRequest, access: PartnerAccess, code: str) -> HttpResponse:
    scenario = _scenario(access, code)
    participation = _participation(access, code)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scenario_services.participation_request(
                partner=access.partner,
                scenario=scenario,
                actor=request.user,
                channel=form.cleaned_data["channel"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Your request to join was sent: the bank will decide."))
            return redirect("portal:scenario", code=code)
    joined = participation is not None and participation.status == "active"
    can_join = participation is None or participation.status not in ("requested", "invited", "active")
    return render(
        request,
        "portal/scenarios/detail.html",
        {
            "access": access,
            "scenario": scenario,
            "participation": participation,
            "joined": joined,
            "can_join": can_join,
            "form": form,
        },
    )


@partner_page("scenarios")
def scenario_offers(request: HttpRequest, access: PartnerAccess, code: str) -> HttpResponse:
    """Try the offer engine on a scenario the partner takes part in (the same path as
    ``POST /api/v1/offers/``): recorded as a try-out, never counted as a real offer."""
    scenario = _scenario(access, code)
    participation = _participation(access, code)
    if participation is None or participation.status != "active":
        raise Http404
    form = OfferForm(
        request.GET if "amount" in request.GET else None,
        events=list(scenario.trigger_events),
        segments=[(s.code, s.local_name) for s in selectors.segments()],
    )
    offers = None
    if form.is_bound and form.is_valid():
        try:
            answer = scenario_services.offer_quote(
                partner=access.partner,
                scenario_code=code,
                event=form.cleaned_data["event"],
                amount=form.cleaned_data["amount"],
                segment=form.cleaned_data["segment"] or None,
                tenor_months=form.cleaned_data["tenor_months"],
                channel=OfferRecord.Channel.PORTAL,
            )
            offers = [quoted.offer for quoted in answer.offers]
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(
        request,
        "portal/scenarios/offers.html",
        {
            "access": access,
            "scenario": scenario,
            "form": form,
            "offers": None if offers is None else offers_in_words(offers),
            # The try-out quotes in the service's default currency.
            "currency": "CNY",
        },
    )
