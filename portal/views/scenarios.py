"""Scenarios for partners: browse published bundles (own industry first), see products, terms,
rewards and the data-use purpose, ask to join, answer an invitation, read what a newer version
changes and move to it, leave, see participation and its history, try the offer engine."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.domain import DomainError
from scenarios import services as scenario_services
from scenarios.models import OfferRecord
from scenarios.selectors import offers_in_words, scenario_versions_to_compare, scenarios_joinable_for_partner
from scenarios.versions import version_diff

from .. import selectors
from ..access import PartnerAccess, partner_page
from ..forms import InvitationAnswerForm, JoinForm, LeaveForm, MoveForm, OfferForm, add_domain_error


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
            "invitations": selectors.partner_scenario_invitations(partner=access.partner),
        },
    )


def _scenario(access: PartnerAccess, code: str):
    scenario = selectors.scenario_visible_to_partner(partner=access.partner, code=code)
    if scenario is None:
        raise Http404
    return scenario


def _participation(access: PartnerAccess, code: str):
    return selectors.partner_participations(partner=access.partner).filter(scenario_code=code).first()


def _detail(request: HttpRequest, access: PartnerAccess, code: str, **forms) -> HttpResponse:
    scenario = _scenario(access, code)
    participation = _participation(access, code)
    status = participation.status if participation is not None else None
    forms.setdefault("form", JoinForm())
    forms.setdefault("invitation_form", InvitationAnswerForm())
    bad = any(form.is_bound and form.errors for form in forms.values())
    return render(
        request,
        "portal/scenarios/detail.html",
        {
            "access": access,
            "scenario": scenario,
            "participation": participation,
            "joined": status == "active",
            "invited": status == "invited",
            "can_join": status not in ("requested", "invited", "active"),
            "history": (
                [] if participation is None else selectors.participation_history(participation=participation)
            ),
            **forms,
        },
        status=400 if bad else 200,
    )


@partner_page("scenarios")
def scenario_detail(request: HttpRequest, access: PartnerAccess, code: str) -> HttpResponse:
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scenario_services.participation_request(
                partner=access.partner,
                scenario=_scenario(access, code),
                actor=request.user,
                channel=form.cleaned_data["channel"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Your request to join was sent: the bank will decide."))
            return redirect("portal:scenario", code=code)
    return _detail(request, access, code, form=form)


@require_POST
@partner_page("participation")
def scenario_invitation(request: HttpRequest, access: PartnerAccess, code: str) -> HttpResponse:
    """Accept the bank's invitation, or decline it with a reason (owners and admins)."""
    participation = _participation(access, code)
    if participation is None or participation.status != "invited":
        raise Http404
    form = InvitationAnswerForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["answer"] == form.ACCEPT
        try:
            if accept:
                scenario_services.participation_accept(participation=participation, actor=request.user)
            else:
                scenario_services.participation_reject_invitation(
                    participation=participation, actor=request.user, reason=form.cleaned_data["reason"]
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("You joined the scenario: try the offer engine, then call the API.")
                if accept
                else _("You declined the invitation: the bank is told why."),
            )
            return redirect("portal:scenario", code=code)
    return _detail(request, access, code, invitation_form=form)


@partner_page("participation")
def scenario_move(request: HttpRequest, access: PartnerAccess, code: str) -> HttpResponse:
    """What the newest published version changes, side by side with the partner's; owners and
    admins move to it when they choose (the old participation ends, history keeps both)."""
    versions = scenario_versions_to_compare(partner=access.partner, code=code)
    if versions is None:
        raise Http404(_("You are on the newest version of this scenario, or do not take part in it."))
    form = MoveForm(request.POST or None, initial={"version": versions.newer.version})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["version"] != versions.newer.version:
            form.add_error(None, _("A newer version was published meanwhile: read its changes, then move."))
        else:
            try:
                scenario_services.participation_move(
                    participation=versions.participation, actor=request.user, to=versions.newer
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, _("You moved to version %(version)d.") % {"version": versions.newer.version}
                )
                return redirect("portal:scenario", code=code)
    return render(
        request,
        "portal/scenarios/move.html",
        {
            "access": access,
            "current": versions.current,
            "newer": versions.newer,
            "diff": version_diff(versions.current, versions.newer),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@partner_page("participation")
def scenario_leave(request: HttpRequest, access: PartnerAccess, code: str) -> HttpResponse:
    """Leave a scenario, with a reason (owners and admins): offers for it stop; keys keep working."""
    participation = _participation(access, code)
    if participation is None or participation.status != "active":
        raise Http404
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scenario_services.participation_leave(
                participation=participation, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("You left %(scenario)s: offers for it stop now; your API keys keep working.")
                % {"scenario": participation.scenario.local_name},
            )
            return redirect("portal:scenarios")
    return render(
        request,
        "portal/scenarios/leave.html",
        {"access": access, "participation": participation, "scenario": participation.scenario, "form": form},
        status=400 if form.errors else 200,
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
