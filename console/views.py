"""Staff console pages. Each view parses input, calls selectors or one service, renders."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.models import RiskSignal
from core.domain import DomainError
from partners import services as partner_services
from partners.models import Notification
from partners.notification_pages import back_to, notification_list_context, preferences_page
from partners.notifications import kinds_for
from partners.selectors import business_today
from revenue.models import SettlementRun
from revenue.services import settlement_start
from scenarios.selectors import consents_for_staff

from . import exports, figures, services
from .access import staff_required
from .evidence import evidence_names, evidence_rows
from .forms import (
    AuditForm,
    ConsentFilterForm,
    FilterForm,
    FunnelForm,
    PayoutsForm,
    ReasonForm,
    RiskFilterForm,
)
from .selectors import audit as audit_selectors
from .selectors import ecosystem
from .selectors import funnel as funnel_selectors
from .selectors import inbox as inbox_selectors
from .selectors import jobs as jobs_selectors
from .selectors import payouts as payouts_selectors
from .selectors import revenue as revenue_selectors
from .selectors import risk as risk_selectors
from .services import risk as risk_services
from .services import rollups


def _chrome() -> dict:
    """The admin's chrome (header, user tools) without its sidebar: the admin's
    ``each_context`` would build the whole app list on every page for nothing."""
    return {
        "site_title": admin.site.site_title,
        "site_header": admin.site.site_header,
        "site_url": admin.site.site_url,
        "has_permission": True,
        "available_apps": [],
        "is_popup": False,
        "is_nav_sidebar_enabled": False,
    }


def _page(request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
    return render(request, template, {**_chrome(), "title": title, **context})


def _filters(request: HttpRequest):
    form = FilterForm(request.GET or None, today=business_today())
    return form, form.filters()


@require_GET
@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    today = business_today()
    partners = ecosystem.partners_by_industry_status(filters=filters)
    usage = ecosystem.api_usage_by_day(filters=filters)
    return _page(
        request,
        "console/dashboard.html",
        _("Ecosystem dashboard"),
        form=form,
        filters=filters,
        partners=partners,
        partners_chart=figures.partners_chart(partners),
        usage=usage,
        usage_chart=figures.api_usage_chart(usage, filters.start, filters.end),
        usage_link=ecosystem.api_usage_link(filters=filters),
        usage_totals={"calls": sum(r["calls"] for r in usage), "errors": sum(r["errors"] for r in usage)},
        documents=ecosystem.documents_expiring(filters=filters, today=today),
        keys=ecosystem.keys_expiring(filters=filters, today=today),
        **_money_figures(filters),
    )


def _money_figures(filters) -> dict:
    by_month = revenue_selectors.transactions_by_month(filters=filters)
    return {
        "by_month": by_month,
        "by_month_chart": figures.money_by_month_chart(by_month),
        "by_scenario": revenue_selectors.transactions_by_scenario(filters=filters),
        "by_partner": revenue_selectors.transactions_by_partner(filters=filters),
        "settlement": revenue_selectors.settlement_status(filters=filters),
    }


@require_GET
@staff_required
def funnel(request: HttpRequest) -> HttpResponse:
    form = FunnelForm(request.GET or None, today=business_today())
    query = form.funnel_query()
    result = funnel_selectors.staff_funnel(query=query)
    export = request.GET.get("export")
    if export in exports.FORMATS:
        return exports.funnel_response(result, file_format=export)
    return _page(
        request,
        "console/funnel.html",
        _("Offer funnel"),
        form=form,
        filters=query,
        funnel=result,
        chart=figures.funnel_chart(result),
        versions_chart=figures.versions_chart(result) if result.versions else None,
        query=request.GET.urlencode(),
    )


@require_GET
@staff_required
def payouts(request: HttpRequest) -> HttpResponse:
    """Money owed, in payment, paid and returned by partner; finance's work queues."""
    if not request.user.has_perm(payouts_selectors.VIEW_PERMISSION):
        raise PermissionDenied(_("You do not have permission to see payouts."))
    form = PayoutsForm(request.GET or None, today=business_today())
    start, end = form.period()
    overview = payouts_selectors.payouts_overview(start=start, end=end)
    export = request.GET.get("export")
    if export in exports.FORMATS:
        return exports.payouts_response(overview, file_format=export)
    return _page(
        request,
        "console/payouts.html",
        _("Payouts"),
        form=form,
        filters=overview,
        overview=overview,
        query=request.GET.urlencode(),
    )


@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "console/inbox.html",
        _("Approvals inbox"),
        sections=inbox_selectors.inbox_sections(user=request.user),
        reason_form=ReasonForm(),
    )


@require_POST
@staff_required
def inbox_decide(request: HttpRequest, kind: str, pk: str, decision: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.inbox_decide(
            kind=kind,
            pk=pk,
            decision=decision,
            actor=request.user,
            reason=form.cleaned_data.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("console:inbox")


@require_GET
@staff_required
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditForm(request.GET or None, today=business_today())
    filters = form.filters()
    page = audit_selectors.audit_page(
        start=filters.start,
        end=filters.end,
        query=form.cleaned_data.get("q", "") if form.is_valid() else "",
        source=form.cleaned_data.get("source", "") if form.is_valid() else "",
        page=form.cleaned_data.get("page") or 1 if form.is_valid() else 1,
    )
    return _page(request, "console/audit.html", _("Audit"), form=form, filters=filters, page=page)


@require_GET
@staff_required
def jobs(request: HttpRequest) -> HttpResponse:
    live = _jobs_live()
    if request.htmx:  # the poll of the runs and imports while one is running
        return render(request, "console/_jobs_live.html", live)
    return _page(
        request,
        "console/jobs.html",
        _("Jobs"),
        **live,
        tasks=list(jobs_selectors.periodic_tasks()),
        beat_link=jobs_selectors.beat_admin_link(),
        heartbeat=jobs_selectors.last_heartbeat(),
    )


def _jobs_live() -> dict:
    runs = jobs_selectors.settlement_runs()
    imports = jobs_selectors.transaction_imports()
    return {"runs": runs, "imports": imports, "polling": jobs_selectors.any_running(runs, imports)}


@require_GET
@staff_required
def settlement_run(request: HttpRequest, pk: int) -> HttpResponse:
    """One run's live progress: the page, or (to htmx) the fragment that replaces itself."""
    run = jobs_selectors.settlement_run(pk)
    return _progress_page(
        request,
        "console/_run_progress.html",
        _("Settlement through %(date)s") % {"date": run.through},
        run=run,
        state=run.progress_state,
    )


@require_GET
@staff_required
def transaction_import(request: HttpRequest, pk: int) -> HttpResponse:
    job = jobs_selectors.transaction_import(pk)
    return _progress_page(
        request,
        "console/_import_progress.html",
        _("Import of %(partner)s") % {"partner": job.partner},
        job=job,
        state=job.progress_state,
    )


def _progress_page(request: HttpRequest, fragment: str, title: str, **context) -> HttpResponse:
    if request.htmx:
        return render(request, fragment, context)
    return _page(request, "console/job.html", title, fragment=fragment, **context)


@require_GET
@staff_required
def risk(request: HttpRequest) -> HttpResponse:
    form = RiskFilterForm(request.GET or None)
    status, rule = (form.cleaned_data["status"], form.cleaned_data["rule"]) if form.is_valid() else ("", "")
    signals = list(risk_selectors.risk_signals(status=status, rule=rule)[: risk_selectors.PAGE_SIZE])
    names = evidence_names(signals)
    shown = [(signal, evidence_rows(signal, names)) for signal in signals]
    return _page(request, "console/risk.html", _("Risk signals"), form=form, signals=signals, shown=shown)


@require_POST
@staff_required
def risk_scan(request: HttpRequest) -> HttpResponse:
    today = business_today()
    rollups.transaction_rollup_refresh(start=today - timedelta(days=1), end=today)
    result = risk_services.risk_scan(day=today)
    messages.success(
        request,
        _("Scan done: %(found)s signals found, %(created)s new.")
        % {"found": result.found, "created": result.created},
    )
    return redirect("console:risk")


RISK_ACTIONS = {
    "acknowledge": "risk_signal_acknowledge",
    "escalate": "risk_signal_escalate",
    "dismiss": "risk_signal_dismiss",
}


@require_POST
@staff_required
def risk_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    signal = get_object_or_404(RiskSignal, pk=pk)
    if action not in RISK_ACTIONS:
        raise Http404
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        getattr(risk_services, RISK_ACTIONS[action])(
            signal=signal, actor=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("console:risk")


@require_POST
@staff_required
def settlement_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    """Settle again through the run's date: safe, settlement creates each statement once."""
    run = get_object_or_404(SettlementRun, pk=pk)
    if not request.user.has_perm("revenue.run_settlement"):
        messages.error(request, _("You do not have permission to do this."))
        return redirect("console:jobs")
    try:
        # Planned here, so the page that follows shows the new run; its periods go to the workers.
        started = settlement_start(
            through=run.through, trigger=SettlementRun.Trigger.STAFF, actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("console:jobs")
    messages.success(request, _("Settlement through %(date)s started again.") % {"date": run.through})
    return redirect("console:settlement_run", pk=started.pk)


# --------------------------------------------------------------------------------------
# The staff's notification centre (the portal's list and preferences, for staff kinds)
# --------------------------------------------------------------------------------------
@staff_required
def notification_list(request: HttpRequest) -> HttpResponse:
    context, status = notification_list_context(
        request, user=request.user, partner=None, kinds=kinds_for(staff=True)
    )
    response = _page(request, "console/notifications.html", _("Notifications"), **context)
    response.status_code = status
    return response


@require_POST
@staff_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = partner_services.notification_mark_read(
            user=request.user, partner=None, notification_id=pk
        )
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    return back_to(request, notification, "console:notifications")


@require_POST
@staff_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = partner_services.notification_mark_all_read(user=request.user, partner=None)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("console:notifications")


@staff_required
def notification_preferences_edit(request: HttpRequest) -> HttpResponse:
    return preferences_page(
        request,
        kinds=kinds_for(staff=True),
        template="console/notification_preferences.html",
        context={**_chrome(), "title": _("Notification preferences")},
        done="console:notification-preferences",
    )


CONSENTS_PAGE_SIZE = 50


@require_GET
@staff_required
def consents(request: HttpRequest) -> HttpResponse:
    """Customers' consents (PIPL) by partner, scenario and state; exported for an audit."""
    if not request.user.has_perm("scenarios.view_consent"):
        raise PermissionDenied(_("Your role cannot see customers' consents."))
    form = ConsentFilterForm(request.GET or None)
    rows = consents_for_staff(**form.query())
    export = request.GET.get("export")
    if export in exports.FORMATS:
        if not request.user.has_perm("scenarios.export_consent"):
            raise PermissionDenied(_("Your role cannot export customers' consents."))
        return exports.consents_response(rows, file_format=export)
    page = Paginator(rows, CONSENTS_PAGE_SIZE).get_page(
        form.cleaned_data.get("page") if form.is_valid() else 1
    )
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return _page(
        request,
        "console/consents.html",
        _("Customers' consents"),
        form=form,
        page=page,
        query=query.urlencode(),
        can_export=request.user.has_perm("scenarios.export_consent"),
    )
