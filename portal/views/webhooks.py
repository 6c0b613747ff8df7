"""Webhooks: endpoints and their events, the signing secret shown once (on creation and on
rotation), switching an endpoint off and on, a test event on demand, and the delivery log
with its retries.

A sandbox endpoint receives the sandbox's events only (``"livemode": false``, its test events
too). A partner that applied but is not live yet (``access.sandbox_only``) manages sandbox
endpoints only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.domain import DomainError
from core.show_once import show_once_keep, show_once_take
from partners import services as partner_services

from .. import selectors
from ..access import PartnerAccess, partner_page
from ..forms import WebhookForm, add_domain_error
from .keys import show_once


def _endpoints(access: PartnerAccess):
    """The endpoints these pages may show: a partner not live yet has sandbox ones only."""
    endpoints = selectors.partner_webhook_endpoints(partner=access.partner)
    return endpoints.filter(sandbox=True) if access.sandbox_only else endpoints


def _endpoint(access: PartnerAccess, pk: int):
    return get_object_or_404(_endpoints(access), pk=pk)


@never_cache
@partner_page("webhooks", sandbox=True)
def webhook_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    form = WebhookForm(request.POST or None, sandbox_only=access.sandbox_only)
    if request.method == "POST" and form.is_valid():
        try:
            created = partner_services.webhook_endpoint_create(
                partner=access.partner,
                actor=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                sandbox=form.cleaned_data["sandbox"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _secret_redirect(request, created)
    return render(
        request,
        "portal/webhooks/list.html",
        {"access": access, "endpoints": _endpoints(access), "form": form},
    )


@partner_page("webhooks", sandbox=True)
def webhook_detail(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    endpoint = _endpoint(access, pk)
    return render(
        request,
        "portal/webhooks/detail.html",
        {
            "access": access,
            "endpoint": endpoint,
            "deliveries": selectors.endpoint_deliveries(endpoint=endpoint),
        },
    )


@never_cache
@require_POST
@partner_page("webhooks", change=True, sandbox=True)
def webhook_rotate(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    rotated = partner_services.webhook_secret_rotate(endpoint=_endpoint(access, pk), actor=request.user)
    return _secret_redirect(request, rotated, rotated=True)


def _secret_redirect(request: HttpRequest, created, rotated: bool = False) -> HttpResponse:
    token = show_once_keep(
        request, kind="webhook_secret", payload={"secret": created.secret, "rotated": rotated}
    )
    return redirect("portal:webhook-secret", pk=created.endpoint.pk, token=token)


@never_cache
@partner_page("webhooks", change=True, sandbox=True)
def webhook_secret(request: HttpRequest, access: PartnerAccess, pk: int, token: str) -> HttpResponse:
    """The signing secret, once: the first GET after creating or rotating takes it from the session."""
    endpoint = _endpoint(access, pk)
    kept = show_once_take(request, kind="webhook_secret", token=token)
    if kept is None:
        messages.info(
            request,
            _("A signing secret is shown only once, and this one was. If it was not copied, rotate it."),
        )
        return redirect("portal:webhook", pk=pk)
    context = {
        "access": access,
        "created": {"endpoint": endpoint, "secret": kept["secret"]},
        "rotated": kept["rotated"],
    }
    return show_once(request, "portal/webhooks/secret.html", context)


@require_POST
@partner_page("webhooks", change=True, sandbox=True)
def webhook_toggle(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    endpoint = _endpoint(access, pk)
    partner_services.webhook_endpoint_update(
        endpoint=endpoint, actor=request.user, is_active=not endpoint.is_active
    )
    messages.success(
        request,
        _("The endpoint is on.") if endpoint.is_active else _("The endpoint is off: no event is sent to it."),
    )
    return redirect("portal:webhook", pk=pk)


@require_POST
@partner_page("webhooks", change=True, sandbox=True)
def webhook_test(request: HttpRequest, access: PartnerAccess, pk: int) -> HttpResponse:
    try:
        partner_services.webhook_test_send(endpoint=_endpoint(access, pk), actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A test event is on its way: follow it in the delivery log below."))
    return redirect("portal:webhook", pk=pk)
