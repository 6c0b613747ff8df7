"""One place where domain errors become HTTP answers.

Every app has a small exception hierarchy rooted in ``DomainError`` (from ``core.domain``,
the one module every app may import). The API turns them into the JSON error shape below; the
pages turn them into a message on the page (see ``portal.middleware``).

API error shape (every 4xx)::

    {"error": {"code": "invalid", "message": "…", "fields": {"amount": ["…"]}}}

``fields`` is present when input was wrong and names each bad field. No stack trace or internal
name ever leaves the server.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse, UnreadablePostError
from django.utils.translation import gettext as _
from django.views import defaults
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


def error_body(status_code: int, message: str, *, code: str | None = None, fields=None) -> dict:
    body: dict = {"code": code or _CODES.get(status_code, "error"), "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def api_exception_handler(exc, context) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: every error in one JSON shape."""
    if isinstance(exc, DomainError):
        set_rollback()
        fields = {exc.field: [exc.message]} if exc.field else None
        return Response(
            error_body(exc.status_code, exc.message, code=exc.code, fields=fields), status=exc.status_code
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


def not_found(request, exception=None):
    """``handler404``: JSON under /api (a path no route can take), Django's page elsewhere."""
    if is_api_path(request.path):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """``handler500``: JSON under /api, without details; Django's page elsewhere."""
    if is_api_path(request.path):
        return JsonResponse(
            error_body(500, _("Internal error: the bank has been notified."), code="server_error"), status=500
        )
    return defaults.server_error(request)
