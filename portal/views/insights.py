"""The partner's Insights page: its own offer funnel (offers → taken → gross) by one breakdown,
with charts, from the funnel's roll-up (``scenarios.insights``) — the numbers of
``GET insights/funnel/``."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.charts import PORTAL, bar_chart
from core.widgets import DateInput
from partners.selectors import business_today
from scenarios.insights import funnel_for_partner, funnel_totals_for_partner
from scenarios.selectors import scenario_names

from ..access import PartnerAccess, partner_page

DEFAULT_DAYS = 30
MAX_DAYS = 731
GROUPS = [
    ("scenario", gettext_lazy("Scenario")),
    ("version", gettext_lazy("Scenario version")),
    ("product", gettext_lazy("Product")),
    ("segment", gettext_lazy("Segment")),
    ("channel", gettext_lazy("Channel")),
    ("day", gettext_lazy("Day")),
]


class InsightsForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())
    scenario = forms.SlugField(label=gettext_lazy("Scenario code"), required=False, max_length=60)
    group_by = forms.ChoiceField(label=gettext_lazy("Break down by"), choices=GROUPS, required=False)

    def clean(self):
        data = super().clean()
        end = data.get("date_to") or business_today()
        start = data.get("date_from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            self.add_error("date_from", _("The start must be on or before the end."))
        elif (end - start).days >= MAX_DAYS:
            self.add_error("date_from", _("Choose a period of at most two years."))
        data["start"], data["end"] = start, end
        return data

    def query(self) -> dict:
        if self.is_valid():
            d = self.cleaned_data
            return {
                "start": d["start"],
                "end": d["end"],
                "scenario": d.get("scenario") or "",
                "group_by": d.get("group_by") or "scenario",
            }
        end = business_today()
        return {
            "start": end - timedelta(days=DEFAULT_DAYS - 1),
            "end": end,
            "scenario": "",
            "group_by": "scenario",
        }


def _label(group_by: str, row: dict, names: dict[str, str]) -> str:
    if group_by in ("scenario", "version"):
        name = names.get(row["scenario"], row["scenario"])
        return f"{name} v{row['version']}" if group_by == "version" else name
    if group_by == "day":
        return row["day"].isoformat()
    if group_by == "segment":
        return row["segment"] or _("standard")
    return row[group_by]


@partner_page("insights")
def insights(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    form = InsightsForm(request.GET or None)
    q = form.query()
    window = {"start": q["start"], "end": q["end"], "scenario": q["scenario"]}
    rows = funnel_for_partner(partner=access.partner, group_by=q["group_by"], **window)
    total = funnel_totals_for_partner(partner=access.partner, **window)
    names = scenario_names({r["scenario"] for r in rows}) if q["group_by"] in ("scenario", "version") else {}
    for row in rows:
        row["label"] = _label(q["group_by"], row, names)
    labels = [row["label"] for row in rows]
    context = {
        "access": access,
        "form": form,
        "query": q,
        "rows": rows,
        "total": total,
        "group_label": dict(GROUPS)[q["group_by"]],
    }
    if rows:
        context["offers_chart"] = bar_chart(
            title=_("Offers shown and offers taken"),
            labels=labels,
            series={
                _("Offers shown"): [r["offers"] for r in rows],
                _("Offers taken"): [r["taken"] for r in rows],
            },
            look=PORTAL,
        )
        context["conversion_chart"] = bar_chart(
            title=_("Conversion (%)"),
            labels=labels,
            series={_("Conversion"): [r["conversion"] * 100 for r in rows]},
            look=PORTAL,
        )
    return render(request, "portal/insights.html", context)
