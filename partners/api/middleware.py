"""Access log and usage metering of every open API call, and JSON for server errors.

Logs and meters paths under ``/api/v1/`` only; counts a call against its key's limits as soon as
its route is known (``auth.count_ahead``: Redis answers while the rest of the request is set
up); a server error anywhere under ``/api`` is JSON. After the response: one access-log entry appended to
the in-process buffer (bulk-inserted in batches) and, for a call made with a valid key, one
usage count (see ``partners.api.counters``). Nothing here writes to the database per request.
"""

from __future__ import annotations

import logging
import time

from django.http import JsonResponse
from django.utils import timezone

from core.clock import business_day
from core.errors import error_body, is_api_path

from .auth import count_ahead, counted_ahead_unclaimed
from .counters import access_buffer, endpoint_name, meter_outcome

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"


class ApiAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            counted_ahead_unclaimed(request)
        latency_ms = int((time.perf_counter() - started) * 1000)
        try:
            self.record(request, response.status_code, latency_ms)
        except Exception:  # metering must never break an answer
            logger.exception("recording an API call failed")
        return response

    def record(self, request, status: int, latency_ms: int) -> None:
        now = timezone.now()
        client = getattr(request, "api_client", None)
        endpoint = endpoint_name(request)
        access_buffer.add(  # in ``partners.services.usage.ACCESS_LOG_COLUMNS`` order
            (
                now,
                client.key.prefix if client else "",
                client.partner_record.id if client else None,
                request.method[:8],
                endpoint.partition(" ")[2],
                request.path[:200],
                status,
                latency_ms,
                request.META.get("REMOTE_ADDR") or None,
            )
        )
        if client is not None:
            meter_outcome(
                request,
                key_id=client.key.id,
                partner_id=client.partner_record.id,
                day=business_day(),
                endpoint=endpoint,
                error=status >= 400,
            )

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(API_PREFIX):
            count_ahead(request, view_func)

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        logger.exception("unhandled error in %s %s", request.method, request.path, exc_info=exception)
        return JsonResponse(
            error_body(500, "Internal error: the bank has been notified.", code="server_error"), status=500
        )
