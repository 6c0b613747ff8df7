"""Deprecations on the request path (docs/api-lifecycle.md): the headers of a call that uses a
deprecated route or field, the refusal once it is retired, and the count of such calls.

``PartnerAPIView`` calls ``refuse_retired`` after authentication and ``announce`` on every
response. A route without deprecations costs one dict lookup. Counts go to a
``core.counters.BufferedCounts`` (per key, business day and deprecation), written to
``ApiDeprecationUsage`` by the minute's flush, never by the request.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import UnreadablePostError
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _
from rest_framework import exceptions

from core.clock import business_day
from core.counters import BufferedCounts
from core.domain import DomainError

from ..deprecations import Deprecation, deprecations_for
from ..services.deprecations import api_deprecation_usage_upsert


class ApiRetired(DomainError):
    """A call to a retired route: 410 naming what replaces it."""

    status_code = 410
    code = "gone"


def _write(rows: dict[tuple[str, ...], list[int]]) -> int:
    return api_deprecation_usage_upsert(
        rows={
            (key_id, int(partner_id), day, code): counts
            for (key_id, partner_id, day, code), counts in rows.items()
        }
    )


deprecation_counts = BufferedCounts("deprecated", width=1, write=_write)


def flush_deprecation_usage() -> int:
    """Move the buffered counts of deprecated calls into ``ApiDeprecationUsage``."""
    return deprecation_counts.drain()


def _route(request) -> tuple[Deprecation, ...]:
    """The deprecations of the request's route and method, looked up once per request
    (``refuse_retired`` and then ``announce`` ask)."""
    held = vars(request)
    found = held.get("_api_deprecations")
    if found is None:
        match = getattr(request, "resolver_match", None)
        found = (
            ()
            if match is None or not match.url_name
            else deprecations_for(route=match.url_name, method=request.method)
        )
        held["_api_deprecations"] = found
    return found


def _has(data, parts: tuple[str, ...]) -> bool:
    """Whether ``data`` (parsed JSON) holds the dotted path ``parts`` (``*``: any list item)."""
    if not parts:
        return True
    head, rest = parts[0], parts[1:]
    if head == "*":
        return isinstance(data, list) and any(_has(item, rest) for item in data)
    return isinstance(data, dict) and head in data and _has(data[head], rest)


def _request_fields(request, found: tuple[Deprecation, ...]) -> list[Deprecation]:
    fields = [d for d in found if d.location == "request"]
    if not fields:
        return []
    try:
        data = request.data
    except (exceptions.APIException, RequestDataTooBig, UnreadablePostError):  # the view refuses it
        return []
    return [d for d in fields if _has(data, d.parts)]


def refuse_retired(request) -> None:
    """410 for a retired route; 400 naming a retired request field (its replacement in the
    message). Nothing for a route without deprecations."""
    found = _route(request)
    if not found:
        return
    now = timezone.now()
    for d in found:
        if not d.field and d.retired(now):
            error = ApiRetired(
                _("%(what)s was retired on %(sunset)s: use %(replacement)s instead.") % _words(d)
            )
            error.details = {"replacement": d.replacement, "sunset": _words(d)["sunset"]}
            raise error
    for d in _request_fields(request, found):
        if d.retired(now):
            raise DomainError(
                _("This field was retired on %(sunset)s: use %(replacement)s instead.") % _words(d),
                field=d.field,
            )


def _words(d: Deprecation) -> dict[str, str]:
    return {
        "what": d.what,
        "sunset": timezone.localtime(d.sunset).date().isoformat(),
        "replacement": d.replacement,
    }


def announce(request, response) -> None:
    """``Deprecation``, ``Sunset`` and ``Link`` headers when the call used a deprecated route or
    field, and one count per deprecation used by the calling key."""
    found = _route(request)
    if not found:
        return
    now = timezone.now()
    used = [d for d in found if not d.field]
    used += list(_request_fields(request, found))
    data = getattr(response, "data", None)
    if response.status_code < 400:
        used += [d for d in found if d.location == "response" and not d.retired(now) and _has(data, d.parts)]
    if not used:
        return
    # The earliest deprecation and sunset among those used speak for the response.
    response["Deprecation"] = f"@{int(min(d.deprecated for d in used).timestamp())}"
    response["Sunset"] = http_date(min(d.sunset for d in used).timestamp())
    changelog = request.build_absolute_uri(reverse("portal:changelog"))
    response["Link"] = f'<{changelog}>; rel="deprecation"; type="text/html", <{changelog}>; rel="sunset"'
    client = getattr(request, "api_client", None)
    if client is not None:
        day = business_day()
        for d in used:
            deprecation_counts.add((client.key.id, client.partner_record.id, day, d.code), (1,))
