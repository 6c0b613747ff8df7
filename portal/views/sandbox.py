"""The partner's sandbox page (``/portal/sandbox/``, linked from the dashboard and the keys
page): what its sandbox holds, a simulated settlement of its sandbox transactions (marked as a
simulation: nothing stored, approved or paid) and the reset. Through ``revenue.services``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.widgets import DateInput
from partners.selectors import business_today
from revenue import services as revenue_services
from revenue.models import SandboxTransaction
from revenue.terms import terms_in_words

from ..access import PartnerAccess, partner_page

MAX_DAYS = 366
RESET_WORD = "RESET"


class SimulationForm(forms.Form):
    scenario = forms.ChoiceField(label=gettext_lazy("Scenario"), choices=())
    date_from = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), widget=DateInput())

    def __init__(self, *args, scenarios: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [(code, code) for code in scenarios]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_from", _("The start must be on or before the end."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("date_from", _("Choose a period of at most one year."))
        return data


class ResetForm(forms.Form):
    confirm = forms.CharField(
        label=gettext_lazy("Type RESET to confirm"),
        max_length=10,
        help_text=gettext_lazy("Deletes all your sandbox transactions, sandbox offers and sandbox consents."),
    )

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != RESET_WORD:
            raise forms.ValidationError(_("Type RESET, in capitals, to confirm."))
        return value


@partner_page("sandbox", onboarding=True)
def sandbox(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    """GET: the sandbox's counts and, when asked, a simulated statement. POST: the reset."""
    partner = access.partner
    reset_form = ResetForm(request.POST or None) if request.method == "POST" else ResetForm()
    if request.method == "POST" and reset_form.is_valid():
        deleted = revenue_services.sandbox_reset(partner=partner)
        messages.success(
            request,
            _("Sandbox reset: %(tx)d transactions, %(offers)d offers and %(consents)d consents deleted.")
            % {"tx": deleted.transactions, "offers": deleted.offers, "consents": deleted.consents},
        )
        return redirect("portal:sandbox")
    scenarios = list(
        SandboxTransaction.objects.filter(partner=partner)
        .order_by("scenario_code")
        .values_list("scenario_code", flat=True)
        .distinct()
    )
    today = business_today()
    asked = "scenario" in request.GET
    form = SimulationForm(
        request.GET if asked else None,
        scenarios=scenarios,
        initial={"date_from": today.replace(day=1), "date_to": today},
    )
    simulation = None
    if asked and form.is_valid():
        data = form.cleaned_data
        simulation = revenue_services.sandbox_settlement_simulate(
            partner=partner, scenario_code=data["scenario"], start=data["date_from"], end=data["date_to"]
        )
    return render(
        request,
        "portal/sandbox/sandbox.html",
        {
            "access": access,
            "form": form,
            "reset_form": reset_form,
            "may_reset": access.can_change("sandbox"),
            "transaction_count": SandboxTransaction.objects.filter(partner=partner).count(),
            "simulation": simulation,
            "terms_text": (
                terms_in_words(simulation.model, simulation.terms, simulation.currency) if simulation else ""
            ),
        },
    )
