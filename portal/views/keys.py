"""API keys (create, shown once; rotate with overlap; revoke; usage per key) and webhooks
(endpoints, secret shown once, rotate, test event, delivery log), through the partners
services.

Sandbox keys (``fnk_sbx_…``, test data only) are listed apart with their own usage. A partner
that applied but is not live yet (``access.sandbox_only``) reaches these pages for its sandbox
keys only."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.domain import DomainError
from core.show_once import show_once_keep, show_once_take
from partners import services as partner_services
from partners.api.selectors import partner_api_keys

from .. import selectors
from ..access import PartnerAccess, partner_page
from ..forms import ApiKeyForm, ReasonForm, add_domain_error, submit

USAGE_DAYS = 30


def show_once(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A page holding a secret: never cached, never stored. Reached only by the GET after a
    POST (``core.show_once``), so a reload shows nothing and makes nothing."""
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


def _issued_redirect(request: HttpRequest, issued, rotated=None) -> HttpResponse:
    token = show_once_keep(
        request,
        kind="api_key",
        payload={"key": issued.key, "id": issued.api_key.pk, "rotated": rotated.pk if rotated else None},
    )
    return redirect("portal:key-issued", token=token)


@never_cache
@partner_page("keys", change=True, sandbox=True)
def key_issued(request: HttpRequest, access: PartnerAccess, token: str) -> HttpResponse:
    """The new key, once: the first GET after issuing or rotating takes it from the session."""
    kept = show_once_take(request, kind="api_key", token=token)
    if kept is None:
        messages.info(
            request,
            _("A new key is shown only once, and this one was. If it was not copied, rotate the key."),
        )
        return redirect("portal:keys")
    keys = {
        key.pk: key
        for key in partner_api_keys(partner=access.partner).filter(pk__in=[kept["id"], kept["rotated"]])
    }
    if kept["id"] not in keys:
        return redirect("portal:keys")
    context = {
        "access": access,
        "issued": {"key": kept["key"], "api_key": keys[kept["id"]]},
        "rotated": keys.get(kept["rotated"]),
    }
    return show_once(request, "portal/keys/issued.html", context)


@partner_page("keys", sandbox=True)
def key_list(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    until = selectors.business_today()
    usage = selectors.partner_calls_by_key(
        partner=access.partner, since=until - timedelta(days=USAGE_DAYS - 1), until=until
    )
    rows = {False: [], True: []}
    for key in _keys(access):
        rows[key.sandbox].append((key, *usage.get(key.pk, (0, 0))))
    context = {
        "access": access,
        "rows": rows[False],
        "sandbox_rows": rows[True],
        # The sandbox's calls, apart: they are not the partner's live usage.
        "sandbox_calls": sum(row[1] for row in rows[True]),
        "usage_days": USAGE_DAYS,
        "sandbox_keys_max": settings.API_SANDBOX_KEYS_MAX,
    }
    return render(request, "portal/keys/list.html", context)


def _create(request: HttpRequest, access: PartnerAccess, *, sandbox: bool) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = partner_services.api_key_issue(
                partner=access.partner,
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                channel=form.cleaned_data["channel"],
                expires_at=form.expires_at(),
                sandbox=sandbox,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _issued_redirect(request, issued)
    return render(request, "portal/keys/create.html", {"access": access, "form": form, "sandbox": sandbox})


@never_cache
@partner_page("keys", change=True)
def key_create(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    return _create(request, access, sandbox=False)


@never_cache
@partner_page("keys", change=True, sandbox=True)
def key_create_sandbox(request: HttpRequest, access: PartnerAccess) -> HttpResponse:
    """A sandbox key (test data only), from the submitted application on."""
    return _create(request, access, sandbox=True)


def _keys(access: PartnerAccess):
    """The keys this page may show: a partner not live yet has sandbox keys only."""
    keys = partner_api_keys(partner=access.partner)
    return keys.filter(sandbox=True) if access.sandbox_only else keys


def _key(access: PartnerAccess, prefix: str):
    return get_object_or_404(_keys(access), prefix=prefix)


@never_cache
@partner_page("keys", change=True, sandbox=True)
def key_rotate(request: HttpRequest, access: PartnerAccess, prefix: str) -> HttpResponse:
    api_key = _key(access, prefix)
    if request.method == "POST":
        try:
            issued = partner_services.api_key_rotate(api_key=api_key, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:keys")
        return _issued_redirect(request, issued, rotated=api_key)
    return render(request, "portal/keys/rotate.html", {"access": access, "api_key": api_key})


@partner_page("keys", change=True, sandbox=True)
def key_revoke(request: HttpRequest, access: PartnerAccess, prefix: str) -> HttpResponse:
    api_key = _key(access, prefix)
    form = ReasonForm(request.POST or None)
    if submit(
        request,
        form,
        lambda data: partner_services.api_key_revoke(
            api_key=api_key, actor=request.user, reason=data["reason"]
        ),
    ):
        messages.success(request, _("The key %(prefix)s is revoked.") % {"prefix": api_key.prefix})
        return redirect("portal:keys")
    return render(request, "portal/keys/revoke.html", {"access": access, "api_key": api_key, "form": form})
