"""The console's filter and decision forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from console.models import RiskSignal
from console.selectors.audit import source_choices
from core.widgets import DateInput
from partners.models import Industry, Partner
from scenarios.selectors import CONSENT_STATES, consent_scenario_codes

from .selectors.funnel import StaffFunnelQuery

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 731


@dataclass(frozen=True)
class Filters:
    """What every figure is narrowed by: a period of business dates (both inclusive), and
    optionally an industry and a scenario code."""

    start: date
    end: date
    industry: Industry | None = None
    scenario: str = ""

    @property
    def industry_id(self) -> int | None:
        return self.industry.pk if self.industry else None


def period_checked(form: forms.Form, data: dict, start: date, end: date) -> dict:
    """``data`` with the period ``start``–``end``; a reversed or too long one is an error on
    ``date_from``."""
    if start > end:
        form.add_error("date_from", _("The start must be on or before the end."))
    elif (end - start).days >= MAX_PERIOD_DAYS:
        form.add_error("date_from", _("Choose a period of at most two years."))
    data["start"], data["end"] = start, end
    return data


class FilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.order_by("position", "code"), required=False
    )
    scenario = forms.SlugField(label=_("Scenario code"), required=False, max_length=60)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        end = data.get("date_to") or self.today
        start = data.get("date_from") or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return period_checked(self, data, start, end)

    def filters(self) -> Filters:
        """The cleaned filters, or the defaults (the last 30 days) when the input is invalid."""
        if self.is_valid():
            d = self.cleaned_data
            return Filters(d["start"], d["end"], d.get("industry"), d.get("scenario") or "")
        return Filters(self.today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), self.today)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AuditForm(FilterForm):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    source = forms.ChoiceField(label=_("Records"), required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["industry"], self.fields["scenario"]
        self.fields["source"].choices = [("", _("All records")), *source_choices()]


class RiskFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and acknowledged")), *RiskSignal.Status.choices],
    )
    rule = forms.ChoiceField(
        label=_("Rule"), required=False, choices=[("", _("All rules")), *RiskSignal.Rule.choices]
    )


GROUP_CHOICES = [
    ("scenario", _("Scenario")),
    ("version", _("Scenario version")),
    ("product", _("Product")),
    ("segment", _("Segment")),
    ("channel", _("Channel")),
    ("partner", _("Partner")),
    ("amount_band", _("Amount band")),
    ("day", _("Day")),
]


class FunnelForm(FilterForm):
    """The funnel's filters: the period, a scenario code, a partner; its breakdown; and the two
    versions of the scenario compared side by side."""

    partner = forms.ModelChoiceField(
        label=_("Partner"), queryset=Partner.objects.order_by("display_name"), required=False
    )
    group_by = forms.ChoiceField(label=_("Break down by"), choices=GROUP_CHOICES, required=False)
    version_a = forms.IntegerField(label=_("Compare version"), min_value=1, required=False)
    version_b = forms.IntegerField(label=_("with version"), min_value=1, required=False)
    cross_sell = forms.BooleanField(label=_("Count cross-sell customers"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["industry"]

    def funnel_query(self) -> StaffFunnelQuery:
        """The cleaned query, or the defaults (the last 30 days by scenario) when it is invalid."""
        filters = self.filters()
        if not self.is_valid():
            return StaffFunnelQuery(start=filters.start, end=filters.end)
        d = self.cleaned_data
        versions = (d["version_a"], d["version_b"]) if d.get("version_a") and d.get("version_b") else None
        return StaffFunnelQuery(
            start=filters.start,
            end=filters.end,
            group_by=d.get("group_by") or "scenario",
            scenario=d.get("scenario") or "",
            partner_id=d["partner"].pk if d.get("partner") else None,
            versions=versions,
            with_cross_sell=d.get("cross_sell", False),
        )


class ConsentFilterForm(forms.Form):
    """The consents page: by partner, scenario (code, any version) and state; one page."""

    partner = forms.ModelChoiceField(
        label=_("Partner"), queryset=Partner.objects.order_by("display_name"), required=False
    )
    scenario = forms.ChoiceField(label=_("Scenario code"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [("", _("All scenarios"))] + [
            (code, code) for code in consent_scenario_codes()
        ]
        self.fields["state"].choices = [("", _("Any state")), *CONSENT_STATES.items()]

    def query(self) -> dict:
        """The selector's filters; none when the input is invalid (the page says which field)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "partner": data.get("partner"),
            "scenario_code": data.get("scenario") or "",
            "state": data.get("state") or "",
        }


class PayoutsForm(forms.Form):
    """The payouts page's period for *paid* and *returned*: this month (Asia/Shanghai) unless
    chosen; an invalid period falls back to it."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        start = data.get("date_from") or self.today.replace(day=1)
        end = data.get("date_to") or max(self.today, start)
        return period_checked(self, data, start, end)

    def period(self) -> tuple[date, date]:
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return self.today.replace(day=1), self.today
