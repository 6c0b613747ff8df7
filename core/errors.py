"""One place where domain errors become HTTP answers.

Every app has a small exception hierarchy rooted in ``DomainError`` (from ``core.domain``,
the one module every app may import). The API turns them into the JSON error shape below; the
pages turn them into a message on the page (see ``portal.middleware``).

API error shape (every 4xx)::

    {"error": {"code": "invalid", "message": "…", "fields": {"amount": ["…"]}}}

``fields`` is present when input was wrong and names each bad field; ``details`` when a domain
error carries machine-readable facts (``DomainError.details``, e.g. the purposes a consent
misses). No stack trace or internal
name ever leaves the server.
"""

from __future__ import annotations

import logging

from django.contrib import admin
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseServerError,
    JsonResponse,
    UnreadablePostError,
)
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from .domain import DomainError

logger = logging.getLogger(__name__)

_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field.sub": ["message", ...]}``."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, inner in enumerate(value):
                if inner:
                    walk(f"{prefix}.{index}" if prefix else str(index), inner)
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in messages)

    walk("", detail)
    return out


def error_body(status_code: int, message: str, *, code: str | None = None, fields=None, details=None) -> dict:
    body: dict = {"code": code or _CODES.get(status_code, "error"), "message": message}
    if fields:
        body["fields"] = fields
    if details:
        body["details"] = details
    return {"error": body}


def api_exception_handler(exc, context) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: every error in one JSON shape."""
    if isinstance(exc, DomainError):
        set_rollback()
        fields = {exc.field: [exc.message]} if exc.field else None
        return Response(
            error_body(exc.status_code, exc.message, code=exc.code, fields=fields, details=exc.details),
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, RequestDataTooBig):
        # Refused from ``Content-Length`` (or the first byte past the limit) before the body is read.
        return Response(error_body(413, _("The request body is larger than the server takes.")), status=413)
    elif isinstance(exc, UnreadablePostError):
        exc = exceptions.ParseError(_("The request body could not be read."))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django answers 500 without details (DEBUG off) and logs it

    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        names = ", ".join(sorted(fields))
        body = error_body(400, f"Invalid input: {names}.", fields=fields)
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = getattr(exc, "default_code", None)
        body = error_body(exc.status_code, detail, code=_CODES.get(exc.status_code, code))
    return Response(body, status=exc.status_code, headers=headers)


@csrf_exempt  # a JSON 404 whatever the method: no cookie-based session reaches the API
def api_not_found(request, exception=None):
    """Plain 404 JSON for /api/ paths outside DRF views (unknown routes), for every method."""
    return JsonResponse(error_body(404, _("Not found.")), status=status.HTTP_404_NOT_FOUND)


def is_api_path(path: str) -> bool:
    return f"{path}/".startswith("/api/")


# Pages of the staff: the admin and the console answer their errors in the admin's layout.
STAFF_PREFIXES = ("/admin/", "/staff/")


def _error_page(request: HttpRequest, status_code: int, reason: str) -> HttpResponse:
    """The branded page of a refused or missing page: the reason and a way back, in the portal's
    layout, or the console's for staff on staff paths."""
    user = getattr(request, "user", None)
    staff = bool(user and user.is_authenticated and user.is_staff and request.path.startswith(STAFF_PREFIXES))
    referer = request.META.get("HTTP_REFERER", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    context = {
        "status_code": status_code,
        "reason": reason,
        "layout": "errors/console_layout.html" if staff else "errors/portal_layout.html",
        "staff": staff,
        "back": referer if same_site and not referer.endswith(request.path) else "",
    }
    if staff:
        # The admin's header without its sidebar (``each_context`` would build the app list).
        context.update(
            site_title=admin.site.site_title,
            site_header=admin.site.site_header,
            site_url=admin.site.site_url,
            has_permission=True,
            is_popup=False,
            is_nav_sidebar_enabled=False,
            available_apps=[],
        )
    return render(request, f"{status_code}.html", context, status=status_code)


def permission_denied(request, exception=None):
    """``handler403``: JSON under /api; elsewhere the branded page with the refusal's reason
    (``PermissionDenied("Your role (Viewer) cannot …")``), or a general one."""
    if is_api_path(request.path):
        return JsonResponse(error_body(403, _("You do not have permission to do this.")), status=403)
    message = str(exception or "")
    reason = message or _("Your account does not have permission to open this page.")
    return _error_page(request, 403, reason)


def csrf_failure(request, reason: str = ""):
    """``CSRF_FAILURE_VIEW``: a form sent without its token (an old tab, another site) is a
    branded 403 that says what to do."""
    return _error_page(
        request,
        403,
        _("This form has expired or was sent from another site. Reload the page and send it again."),
    )


def not_found(request, exception=None):
    """``handler404``: JSON under /api (a path no route can take), the branded page elsewhere.
    The exception's own text is never shown: it names models and lookups."""
    if is_api_path(request.path):
        return api_not_found(request)
    return _error_page(
        request,
        404,
        _("There is no page at this address, or it is not yours to see. Check the address, or go back."),
    )


def server_error(request):
    """``handler500``: JSON under /api, without details; elsewhere the branded page, rendered
    without the request's context (no user, session or database: any of them may be what failed)."""
    if is_api_path(request.path):
        return JsonResponse(
            error_body(500, _("Internal error: the bank has been notified."), code="server_error"), status=500
        )
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except Exception:  # the last resort must answer whatever else is broken
        logger.exception("the 500 page could not be rendered")
        return HttpResponseServerError(b"<h1>Server error (500)</h1>", content_type="text/html")
