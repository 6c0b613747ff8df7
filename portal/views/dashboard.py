"""The partner's dashboard, the partner switch and the getting-started page."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.charts import PORTAL, bar_chart
from core.money import money_text
from partners.api import counters
from partners.api.deprecation import deprecation_counts, flush_deprecation_usage
from partners.selectors import partner_deprecation_use
from revenue.money import ZERO
from revenue.selectors import agreements_awaiting_acceptance_count
from scenarios.models import Participation
from scenarios.selectors import scenario_list_for_partner

from .. import access as portal_access
from .. import selectors
from ..access import MANAGERS, PartnerAccess, partner_page
from ..next_steps import dashboard_next_steps

CHART_DAYS = 30


def _calls_chart(access: PartnerAccess):
    if counters.pending_locally():
        counters.flush_usage()  # the embedded default buffers API counts in this process
    until = selectors.business_today()
    since = until - timedelta(days=CHART_DAYS - 1)
    daily = selectors.partner_daily_calls(partner=access.partner, since=since, until=until)
    days = [since + timedelta(days=i) for i in range(CHART_DAYS)]
    calls = [daily.get(d, (0, 0))[0] for d in days]
    errors = [daily.get(d, (0, 0))[1] for d in days]
    svg = bar_chart(
        title=_("API calls, last %(days)d days") % {"days": CHART_DAYS},
        labels=[d.strftime("%m-%d") for d in days],
        major_labels=[d.strftime("%m-%d") for d in days[::7]],
        series={_("Calls"): calls, _("Errors"): errors},
        look=PORTAL,
    )
    return svg, sum(calls), sum(errors)


def _revenue(access: PartnerAccess) -> dict:
    today = selectors.business_today()
    first = date(today.year - 1, today.month, 1)
    months = [
        date(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1) for i in range(13)
    ]
    shares = selectors.partner_share_by_month(partner=access.partner, since=first)
    this_year = [v for m, v in shares.items() if m.year == today.year]
    none = selectors.MonthShare(ZERO, ZERO)
    chart = bar_chart(
        title=_("Revenue share by month"),
        labels=[m.strftime("%Y-%m") for m in months],
        series={
            _("Approved or paid"): [shares.get(m, none).approved for m in months],
            _("Draft, not yet approved"): [shares.get(m, none).draft for m in months],
        },
        look=PORTAL,
        show_minor_x_labels=True,
        # pygal plots floats; each bar's text (hover, axis) is the amount written as money.
        value_formatter=lambda value: money_text(Decimal(repr(value)), "CNY"),
    )
    statements = selectors.partner_statements_open(partner=access.partner)
    return {
        "revenue_chart": chart,
        # Only what the bank approved counts; drafts may still change and are shown apart.
        "revenue_ytd": sum((v.approved for v in this_year), ZERO),
        "revenue_ytd_draft": sum((v.draft for v in this_year), ZERO),
        "statements_open": statements.open,
        "statements_any": statements.any,
    }


@partner_page("dashboard")
def dashboard(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    context = {"access": access}
    context["show_keys"] = access.can_view("usage")
    context["show_documents"] = access.role in MANAGERS
    if context["show_keys"]:
        context["calls_chart"], context["calls_total"], context["errors_total"] = _calls_chart(access)
        context["keys_expiring"] = selectors.partner_keys_expiring(
            partner=access.partner, within=timedelta(days=settings.API_KEY_EXPIRY_WARNING_DAYS)
        )
        # A query only while something is deprecated (docs/api-lifecycle.md).
        if deprecation_counts.pending():
            flush_deprecation_usage()  # the embedded default buffers the counts in this process
        context["deprecation_days"] = settings.API_DEPRECATION_NOTICE_DAYS
        context["deprecations_used"] = partner_deprecation_use(
            partner=access.partner,
            since=selectors.business_today() - timedelta(days=settings.API_DEPRECATION_NOTICE_DAYS - 1),
        )
    if context["show_documents"]:
        context["documents_expiring"] = selectors.partner_documents_expiring(
            partner=access.partner, within=timedelta(days=settings.PARTNER_DOCUMENT_EXPIRY_WARNING_DAYS)
        )
    if access.can_view("statements"):
        context.update(_revenue(access))
    if access.can_view("agreements"):
        context["agreements_waiting"] = agreements_awaiting_acceptance_count(partner=access.partner)
    facts = selectors.partner_setup_facts(partner=access.partner)
    if Participation.Status.INVITED in facts.participations:  # a query only when one waits
        context["scenario_invitations"] = selectors.partner_scenario_invitations(partner=access.partner)
    context["next_steps"] = dashboard_next_steps(access, facts=facts, calls=context.get("calls_total"))
    return render(request, "portal/dashboard.html", context)


@partner_page("docs")
def getting_started(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    scenarios = scenario_list_for_partner(partner=access.partner)
    return render(
        request,
        "portal/getting_started.html",
        # The host the user is on: the commands work where the page was opened.
        {"access": access, "scenarios": scenarios, "site_url": request.build_absolute_uri("/").rstrip("/")},
    )


@login_required
@require_POST
def switch_partner(request: HttpRequest) -> HttpResponse:
    """Make another of the user's partners the active one."""
    try:
        partner_id = int(request.POST.get("partner", ""))
    except ValueError as exc:
        raise Http404 from exc
    if not portal_access.choose(request, partner_id):
        raise Http404
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "portal:dashboard")
