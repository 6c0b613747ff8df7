"""The open API toolkit: base view, scope permission, pagination, strict input.

See the ``partners.api`` package docstring for how to add a route.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import BaseMetadata
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission

from ..models import Partner
from .auth import PartnerKeyAuthentication
from .schema import PartnerAPISchema
from .throttling import PartnerKeyThrottle

SAFE = ("GET", "HEAD", "OPTIONS")


class HasScope(BasePermission):
    """The key must hold the scope the view names for the method: ``read`` for every GET,
    ``view.scopes[method]`` for writes. A method the view does not answer passes here and
    gets its 405 from DRF."""

    def has_permission(self, request, view) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            return False
        method = request.method.upper()
        if method not in SAFE and method not in view.scopes:
            return True
        scope = view.scope_for(method)
        if scope not in request.user.scopes:
            raise exceptions.PermissionDenied(
                _("This key lacks the scope “%(scope)s” needed here.") % {"scope": scope}
            )
        return True


class ApiPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``?page=`` and ``?page_size=`` (≤ 200),
    each a whole number or a 400 naming it (never silently replaced by a default)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # ``?page=last`` is not in the contract

    def get_page_size(self, request) -> int:
        return query_int(
            request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def get_page_number(self, request, paginator) -> int:
        return query_int(request, self.page_query_param, default=1)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


def query_int(request, name: str, *, default: int, maximum: int | None = None) -> int:
    """A whole-number query parameter from 1 to ``maximum``; 400 naming it otherwise."""
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) > 1:
        raise given_twice([name])
    value = values[0]
    if value.isascii() and value.isdigit() and len(value) <= 9 and 1 <= int(value) <= (maximum or 10**9):
        return int(value)
    if maximum:
        message = _("Give a whole number from 1 to %(n)d.") % {"n": maximum}
    else:
        message = _("Give a whole number from 1.")
    raise exceptions.ValidationError({name: [message]})


class ApiJSONParser(JSONParser):
    """JSON bodies only, and hostile ones are a 400, never a 500: nesting deeper than
    ``MAX_DEPTH`` (the C decoder recurses: thousands of levels are a ``RecursionError``), and
    NaN / Infinity (refused by DRF's strict mode). A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    is refused before it is read (413, see ``core.errors``)."""

    MAX_DEPTH = 32

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON parse error: nested too deeply.")) from None
        if json_depth(data) > self.MAX_DEPTH:
            raise exceptions.ParseError(
                _("JSON parse error: nested deeper than %(n)d levels.") % {"n": self.MAX_DEPTH}
            )
        return data


def json_depth(data) -> int:
    """How deeply ``data`` (parsed JSON) nests lists and objects; iterative, so any depth is safe."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        stack.extend((inner, depth + 1) for inner in value if isinstance(inner, (dict, list)))
    return deepest


class ApiMetadata(BaseMetadata):
    """``OPTIONS``: the route's name, description, allowed methods and media types. The input
    shapes are in the OpenAPI schema (``/api/schema/``), not repeated here."""

    def determine_metadata(self, request, view) -> dict:
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "methods": list(view.allowed_methods),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
            "schema": "/api/schema/",
        }


class PartnerAPIView(GenericAPIView):
    """Base of every ``/api/v1/`` view: key authentication, scope, rate limits and quota.

    Class attributes:
      ``scopes``          ``{"POST": "offers"}`` — the scope of each write method (GET needs ``read``)
      ``security_level``  ``"A1"`` (product info) or ``"A2"`` (customer or money data)
    ``self.partner`` is the calling partner (no query); reach its data only through selectors
    that take it, so another partner's object is a 404.
    """

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [PartnerKeyThrottle]
    pagination_class = ApiPagination
    parser_classes = [ApiJSONParser]
    metadata_class = ApiMetadata
    schema = PartnerAPISchema()
    scopes: dict[str, str] = {}
    security_level = "A1"
    has_query_input = False  # True when query parameters are validated (documents a 400)

    @classmethod
    def scope_for(cls, method: str) -> str:
        method = method.upper()
        return "read" if method in SAFE else cls.scopes.get(method, "read")

    @property
    def partner(self) -> Partner:
        return self.request.user.partner

    def paginated(self, queryset, serializer_class):
        """A page of ``queryset`` rendered with ``serializer_class`` as the paginated answer."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def given_twice(names) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [_("Give this query parameter once.")] for name in names})


def query_input(serializer_class, request) -> dict:
    """Validate query parameters with ``serializer_class``; 400 naming each bad one. A parameter
    given twice is refused (it would otherwise be read as one of its values, silently)."""
    repeated = [name for name in serializer_class().fields if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise given_twice(repeated)
    # A plain dict, not the QueryDict: an empty value is then a value (``?scenario=`` is a 400
    # naming it), not a parameter left out.
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --------------------------------------------------------------------------------------
# Strict input fields. Each parse function is what its serializer field does, so a hot path
# that checks items without a serializer (``revenue.api.batch_input``) reads exactly the same.
# --------------------------------------------------------------------------------------

CENT = Decimal("0.01")
MONEY_INTEGER_DIGITS = 12  # below one trillion: what a transaction or an offer can carry
# ASCII digits only (``\d`` would take "١٠٠"), no exponent, sign only as a leading "-".
MONEY_TEXT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?", re.ASCII)


def money_parse(value, *, minimum: Decimal | None = CENT) -> Decimal:
    """An amount of money from JSON input: a string of ASCII digits with at most two decimals
    (``"1234.50"``). Numbers, exponents, underscores, other digits, NaN and Infinity are refused
    (``ValidationError`` with the reason); so is anything below ``minimum`` (``None``: any sign)."""
    if not isinstance(value, str):
        raise serializers.ValidationError(
            _('Give the amount as a string with at most two decimals, e.g. "1234.50".'), code="invalid"
        )
    match = MONEY_TEXT.fullmatch(value)
    if match is None:
        raise serializers.ValidationError(
            _('Give the amount as a string of digits with at most two decimals, e.g. "1234.50".'),
            code="invalid",
        )
    sign, integer, decimals = match.groups()
    if decimals is not None and len(decimals) > 2:
        raise serializers.ValidationError(_("At most two decimal places."), code="max_decimal_places")
    if len(integer.lstrip("0")) > MONEY_INTEGER_DIGITS:
        raise serializers.ValidationError(
            _("At most %(n)d digits before the decimal point.") % {"n": MONEY_INTEGER_DIGITS},
            code="max_whole_digits",
        )
    amount = Decimal(value)
    if minimum is not None and amount < minimum:
        if sign:
            raise serializers.ValidationError(_("The amount cannot be negative."), code="min_value")
        raise serializers.ValidationError(
            _("The amount must be at least %(minimum)s.") % {"minimum": minimum}, code="min_value"
        )
    return amount


class MoneyField(serializers.Field):
    """Money in the API, both ways: in, a string of ASCII digits with at most two decimals
    (``money_parse``; at least ``min_value``, ``None`` for any sign); out, always two decimals,
    never an exponent, negative where ``signed`` (refund lines, claw-backs), and as wide as
    the value (a total is never refused for its size). Every money input of the API is this
    field; its OpenAPI shape is ``schema.MoneyFieldExtension``."""

    def __init__(self, *, min_value: Decimal | None = CENT, signed: bool = False, **kwargs):
        self.min_value = None if signed else min_value
        self.signed = signed
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        return money_parse(data, minimum=self.min_value)

    def to_representation(self, value) -> str:
        return format(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP), "f")


EARLIEST_YEAR, LATEST_YEAR = 1970, 2100
# The extended ISO 8601 form, whole (RFC 3339 and a little more): a date, "T" or a space, hours
# and minutes, optional seconds and fraction, optional offset (with seconds only to name them
# when they are refused).
ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?",
    re.ASCII,
)


def _year_in_range(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise serializers.ValidationError(
            _("Give a year between %(first)d and %(last)d.") % {"first": EARLIEST_YEAR, "last": LATEST_YEAR},
            code="out_of_range",
        )


def datetime_parse(value) -> datetime:
    """An aware time from JSON input: ISO 8601 / RFC 3339 with its offset
    (``2026-01-15T10:00:00+08:00``; without one it is Beijing time), a year within 1970–2100
    and an offset in whole minutes. ``ValidationError`` naming the reason otherwise."""
    parsed = None
    if isinstance(value, str) and ISO_TIME.fullmatch(value):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value)
    if parsed is None:
        raise serializers.ValidationError(
            _("Give an ISO 8601 time with its offset, e.g. 2026-01-15T10:00:00+08:00."), code="invalid"
        )
    _year_in_range(parsed.year)
    if parsed.tzinfo is None:
        return timezone.make_aware(parsed)  # Asia/Shanghai, the business time zone
    offset = parsed.utcoffset()
    if offset.seconds % 60 or offset.microseconds:
        raise serializers.ValidationError(_("The offset must be whole minutes, e.g. +08:00."), code="invalid")
    return parsed


def datetime_format(value: datetime) -> str:
    """RFC 3339 in Beijing time (``2026-01-15T10:00:00+08:00``), or in UTC (``…Z``) where the
    zone's offset then was not whole minutes (local mean time before 1901: ``+08:05:43``)."""
    local = timezone.localtime(value)
    offset = local.utcoffset()
    if offset.seconds % 60 or offset.microseconds:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return local.isoformat()


class ApiDateTimeField(serializers.DateTimeField):
    """A time in the API: in, ``datetime_parse``; out, ``datetime_format`` (valid RFC 3339)."""

    def to_internal_value(self, value) -> datetime:
        return datetime_parse(value)

    def to_representation(self, value) -> str | None:
        return None if value is None else datetime_format(value)


class ApiDateField(serializers.DateField):
    """A date in the API (``2026-01-15``) with a year within 1970–2100."""

    def to_internal_value(self, value) -> date:
        parsed = super().to_internal_value(value)
        _year_in_range(parsed.year)
        return parsed
