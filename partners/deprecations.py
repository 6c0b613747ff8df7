"""The registry of deprecated API routes and fields (setting ``API_DEPRECATIONS``).

A deprecation names a v1 route by its URL name and method, and optionally one field of its
request or response (a dotted path, ``*`` for the items of a list: ``results.*.errors``). It is
announced from ``deprecated`` and retired at ``sunset`` (dates are Beijing midnights, the
business calendar). docs/api-lifecycle.md says what a partner sees before and after.

The setting is read once per value: tests that override it get a fresh registry, the request
path pays one identity check and one dict lookup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver
from django.utils import timezone

CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,47}$")  # + "deprecation:" fits a once key (60)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
KEYS = {"code", "route", "method", "field", "in", "deprecated", "sunset", "replacement"}


@dataclass(frozen=True)
class Deprecation:
    code: str
    route: str  # URL name of the v1 route ("usage")
    method: str
    field: str  # "" when the whole route is deprecated
    location: str  # "request" or "response" (a field's); "" for a route
    deprecated: datetime
    sunset: datetime
    replacement: str

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.field.split(".")) if self.field else ()

    @property
    def what(self) -> str:
        """What is deprecated, in the API's words (the same in every language):
        ``GET usage/`` or ``GET usage/ response field results.*.errors``."""
        route = f"{self.method} {self.route_path}"
        return f"{route} {self.location} field {self.field}" if self.field else route

    @property
    def route_path(self) -> str:
        return route_paths().get(self.route, self.route)

    def retired(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.sunset


def _moment(value, *, name: str, code: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise ImproperlyConfigured(f"API_DEPRECATIONS {code}: {name} is not a date: {value!r}") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # Beijing, the business calendar
    return moment


def parse(entries: list[dict]) -> tuple[Deprecation, ...]:
    """The registry from the setting; ``ImproperlyConfigured`` naming the entry and the key
    that is wrong (an unknown key, a method, a location, dates out of order, a code twice)."""
    out: list[Deprecation] = []
    seen: set[str] = set()
    for entry in entries:
        code = str(entry.get("code", ""))
        if not CODE.match(code) or code in seen:
            raise ImproperlyConfigured(
                f"API_DEPRECATIONS: code {code!r} is missing, malformed or given twice"
            )
        seen.add(code)
        unknown = set(entry) - KEYS
        if unknown:
            raise ImproperlyConfigured(f"API_DEPRECATIONS {code}: unknown keys {sorted(unknown)}")
        method = str(entry.get("method", "")).upper()
        if method not in METHODS or not entry.get("route") or not entry.get("replacement"):
            raise ImproperlyConfigured(f"API_DEPRECATIONS {code}: route, method and replacement are required")
        field = str(entry.get("field", ""))
        location = str(entry.get("in", "response" if field else ""))
        if (field and location not in ("request", "response")) or (not field and location):
            raise ImproperlyConfigured(
                f"API_DEPRECATIONS {code}: 'in' is request or response, for a field only"
            )
        deprecated = _moment(entry.get("deprecated"), name="deprecated", code=code)
        sunset = _moment(entry.get("sunset"), name="sunset", code=code)
        if sunset <= deprecated:
            raise ImproperlyConfigured(f"API_DEPRECATIONS {code}: the sunset must come after the deprecation")
        out.append(
            Deprecation(
                code=code,
                route=str(entry["route"]),
                method=method,
                field=field,
                location=location,
                deprecated=deprecated,
                sunset=sunset,
                replacement=str(entry["replacement"]),
            )
        )
    return tuple(out)


class _Registry:
    source: object = None
    all: tuple[Deprecation, ...] = ()
    by_route: dict[tuple[str, str], tuple[Deprecation, ...]] = {}


_registry = _Registry()


def _current() -> _Registry:
    source = settings.API_DEPRECATIONS
    if source is not _registry.source:
        entries = parse(source)
        by_route: dict[tuple[str, str], list[Deprecation]] = {}
        for d in entries:
            by_route.setdefault((d.route, d.method), []).append(d)
        _registry.all = entries
        _registry.by_route = {k: tuple(v) for k, v in by_route.items()}
        _registry.source = source
    return _registry


def api_deprecations() -> tuple[Deprecation, ...]:
    """Every registered deprecation, in the setting's order."""
    return _current().all


def deprecations_for(*, route: str, method: str) -> tuple[Deprecation, ...]:
    """The deprecations of one route and method (the request path: a dict lookup)."""
    return _current().by_route.get((route, method), ())


_paths: dict[str, str] = {}


def route_paths() -> dict[str, str]:
    """``{"usage": "usage/", "scenario": "scenarios/<str:code>/"}``: the v1 routes' templates by
    URL name, read once from the URLconf."""
    if not _paths:
        # The v1 patterns are the routes of the ``v1`` namespace (``api/v1/``).
        for pattern in _v1_patterns(get_resolver()):
            _paths[pattern.name] = str(pattern.pattern)
    return _paths


def _v1_patterns(resolver) -> list:
    for entry in resolver.url_patterns:
        if getattr(entry, "namespace", None) == "v1":
            return [p for p in entry.url_patterns if getattr(p, "name", None)]
    return []
