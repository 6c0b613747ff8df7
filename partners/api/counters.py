"""Usage metering and the access log of the open API: what the middleware records after every
call, never with a database write per request.

Usage per key, business day and endpoint is a ``core.counters.BufferedCounts`` (in Redis with
``REDIS_URL``, drained by beat; else pending in this process). Access-log entries wait in this
process's buffer and are written in batches by the process's background writer
(``core.counters.background_writer``), and when the process exits.
"""

from __future__ import annotations

from core.clock import business_day
from core.counters import BufferedCounts, BufferedRows

from ..services.usage import api_access_log_write, api_usage_upsert


def _write_usage(rows: dict[tuple[str, ...], list[int]]) -> int:
    return api_usage_upsert(
        rows={
            (key_id, int(partner_id), day, endpoint): counts
            for (key_id, partner_id, day, endpoint), counts in rows.items()
        }
    )


# Calls and errors per key, partner, business day and endpoint → ``ApiUsage``.
usage_counts = BufferedCounts("meter", width=2, write=_write_usage)


def meter(*, key_id: str, partner_id: int, day: str, endpoint: str, error: bool) -> None:
    """Count one call (and one error when ``error``) of a key on an endpoint."""
    usage_counts.add((key_id, partner_id, day, endpoint), (1, 1 if error else 0))


def endpoint_name(request) -> str:
    """``"GET scenarios/<str:code>/"``: the method and route template, never the ids."""
    match = getattr(request, "resolver_match", None)
    route = (match.route if match and match.route else "").removeprefix("api/v1/")
    if not route or (match and match.url_name == "unknown"):
        route = "(unknown)"
    return f"{request.method} {route}"[:120]


def meter_call(request, *, key_id: str, partner_id: int) -> tuple[BufferedCounts, tuple, tuple[int, int]]:
    """The usage count of this call, for ``core.counters.bump`` to add with the rate limits
    (one Redis round trip for both). The request remembers the row, so the middleware adds
    only the error count afterwards (``meter_outcome``)."""
    key = (key_id, partner_id, business_day(), endpoint_name(request))
    request.api_metered = key
    return usage_counts, key, (1, 0)


def meter_outcome(request, *, key_id: str, partner_id: int, day: str, endpoint: str, error: bool) -> None:
    """Count a call after its answer: the call and its error, or only its error when the rate
    limits counted the call already (``meter_call``)."""
    counted = getattr(request, "api_metered", None)
    if counted is None:
        meter(key_id=key_id, partner_id=partner_id, day=day, endpoint=endpoint, error=error)
    elif error:
        usage_counts.add(counted, (0, 1))


def flush_usage() -> int:
    """Move every buffered usage count into ``ApiUsage``; the number of rows upserted."""
    return usage_counts.drain()


def pending_locally() -> bool:
    """Usage counts wait in this process (local-memory cache)."""
    return usage_counts.pending()


# Access-log entries of this process, written in batches by the process's background writer
# (``API_ACCESS_LOG_BATCH``, ``API_ACCESS_LOG_FLUSH_SECONDS``) and at exit; up to 10,000 are kept
# while the database refuses them.
access_buffer = BufferedRows(
    "access-log",
    write=lambda rows: api_access_log_write(rows=rows),
    batch_setting="API_ACCESS_LOG_BATCH",
    keep=10_000,
)


def flush_access_log() -> int:
    """Write the buffered access-log entries; the number written."""
    return access_buffer.drain()
