"""The API toolkit: a base view, capped pagination, strict input (JSON bodies, money, times,
dates) and list filters (django-filter) whose query parameters are read as strictly as a body.

Nothing here knows who calls: ``partners.api.base.PartnerAPIView`` adds the partner's key,
scopes and rate limits on top of ``ApiView``. See the ``partners.api`` package docstring for
how to add a route, and docs/open-api-input.md for the input rules.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import django_filters
from django import forms
from django.conf import settings
from django.forms.utils import ErrorDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiFilterExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_parameter_type
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import BaseMetadata
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.utils import json as drf_json

from .fen import FEN, to_fen

GIVEN_TWICE = gettext_lazy("Give this query parameter once.")


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
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            # DRF's ``JSONParser.parse`` with one read and one decode instead of a codecs stream
            # reader (about 10 µs of every call with a body); the same errors.
            data = json.loads(
                stream.read().decode(encoding),
                parse_constant=drf_json.strict_constant if self.strict else None,
            )
        except ValueError as exc:  # bad JSON, or bytes that are not ``encoding``
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
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


def given_twice(names) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [GIVEN_TWICE] for name in names})


# --------------------------------------------------------------------------------------
# Strict input fields. Each parse function is what its serializer field does, so a hot path
# that checks items without a serializer (``revenue.api.batch_input``) reads exactly the same.
# --------------------------------------------------------------------------------------

MONEY_INTEGER_DIGITS = 12  # below one trillion: what a transaction or an offer can carry
# ASCII digits only (``\d`` would take "١٠٠"), no exponent, sign only as a leading "-".
MONEY_TEXT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?", re.ASCII)


def body_validate(template: serializers.Serializer, data) -> dict:
    """What ``type(template)(data=data).is_valid(raise_exception=True)`` gives as
    ``validated_data``, and the same ``ValidationError`` when it fails, read with the fields of
    one ``template`` made once per process. DRF deep-copies every declared field for each new
    serializer (about half a millisecond for a nested request body); a hot write route
    validates with a module-level template instead. The template holds no request state:
    validation reads its fields and changes nothing."""
    return template.run_validation(data)


def money_parse(value, *, minimum: Decimal | None = FEN) -> Decimal:
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
    field; its OpenAPI shape is ``MoneyFieldExtension``."""

    def __init__(self, *, min_value: Decimal | None = FEN, signed: bool = False, **kwargs):
        self.min_value = None if signed else min_value
        self.signed = signed
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Decimal:
        return money_parse(data, minimum=self.min_value)

    def to_representation(self, value) -> str:
        return format(to_fen(Decimal(value)), "f")


EARLIEST_YEAR, LATEST_YEAR = 1970, 2100
# The extended ISO 8601 form, whole (RFC 3339 and a little more): a date, "T" or a space, hours
# and minutes, optional seconds and fraction, optional offset (with seconds only to name them
# when they are refused).
ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?",
    re.ASCII,
)


class ApiCharField(serializers.CharField):
    """A string and only a string: DRF's ``CharField`` turns a JSON number into text, which an
    identifier the partner sends (a customer or consent id) must not silently become."""

    default_error_messages = {"not_a_string": gettext_lazy("Give a string.")}

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


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


# Money on the wire, as the schema states it: in, digits with at most two decimals (a minus
# sign only where a field takes one); out, always two decimals, as wide as the value.
MONEY_IN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
MONEY_IN_SIGNED = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"
MONEY_OUT = r"^[0-9]+\.[0-9]{2}$"
MONEY_OUT_SIGNED = r"^-?[0-9]+\.[0-9]{2}$"


class MoneyFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "core.api.MoneyField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "request":
            schema = {
                "type": "string",
                "format": "decimal",
                "pattern": MONEY_IN_SIGNED if field.min_value is None else MONEY_IN,
                "maxLength": 16,
                "example": "1234.50",
                "description": "Money: ASCII digits with at most two decimals, as a string. "
                "Numbers, exponents and other digits are refused (400)."
                + ("" if field.min_value is None else f" At least {field.min_value}."),
            }
        else:
            schema = {
                "type": "string",
                "format": "decimal",
                "pattern": MONEY_OUT_SIGNED if field.signed else MONEY_OUT,
                "example": "-1234.50" if field.signed else "1234.50",
            }
            if field.signed:
                schema["description"] = "Money with two decimals; negative for refunds and claw-backs."
        return schema


# --------------------------------------------------------------------------------------
# List filters: django-filter FilterSets whose parameters are read by the strict fields above,
# so a query parameter is refused with the same message as the same value in a body.
# --------------------------------------------------------------------------------------


class QueryField(forms.Field):
    """A query parameter read by an API serializer field (``api_field``). Left out, it is
    ``None``; given empty (``?scenario=``) it is a value, refused if the field refuses it."""

    def __init__(self, *, api_field: serializers.Field, **kwargs):
        self.api_field = api_field
        super().__init__(**kwargs)

    def clean(self, value):
        if value is None:
            return None
        try:
            return self.api_field.run_validation(value)
        except serializers.ValidationError as exc:
            raise forms.ValidationError([str(message) for message in exc.detail]) from None


class QueryFilter(django_filters.Filter):
    """A filter on ``field_name`` (``lookup_expr``) whose value ``api_field`` reads, e.g.
    ``QueryFilter(ApiDateTimeField(help_text="…"), "occurred_at", "gte")``. The field's
    ``help_text`` describes the parameter in the schema."""

    field_class = QueryField

    def __init__(self, api_field: serializers.Field, field_name=None, lookup_expr=None, **kwargs):
        super().__init__(field_name=field_name, lookup_expr=lookup_expr, api_field=api_field, **kwargs)


class QueryForm(forms.Form):
    """The form of an ``ApiFilterSet``: a parameter given twice is refused before any is read
    (it would otherwise be read as one of its values, silently). Parameters it does not know
    are left alone."""

    def full_clean(self):
        repeated = [name for name in self.fields if len(self.data.getlist(name)) > 1]
        if not repeated:
            super().full_clean()
            return
        self._errors, self.cleaned_data = ErrorDict(), {}
        for name in repeated:
            self.add_error(name, GIVEN_TWICE)


class ApiFilterSet(django_filters.FilterSet):
    """Base of the API's list filters: declare ``QueryFilter``s; cross-parameter rules and
    defaults go in a ``QueryForm`` subclass named by ``Meta.form``."""

    class Meta:
        form = QueryForm


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter's backend, answering a bad parameter as the rest of the API answers bad
    input: 400, ``error.fields`` naming each parameter with its messages."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise exceptions.ValidationError(
                {name: list(errors) for name, errors in filterset.errors.items()}
            )
        return filterset.qs


class ApiFilterExtension(OpenApiFilterExtension):
    """The schema of a view's ``filterset_class``: each parameter as its ``api_field`` is
    documented in a body (type, format, bounds, pattern, ``help_text``). Ahead of
    drf-spectacular's own django-filter extension, which guesses types from a model."""

    target_class = "core.api.ApiFilterBackend"
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        filterset_class = getattr(auto_schema.view, "filterset_class", None)
        if filterset_class is None:
            return []
        fields = {
            name: copy.deepcopy(f.extra["api_field"]) for name, f in filterset_class.base_filters.items()
        }
        query = type(f"{filterset_class.__name__}Query", (serializers.Serializer,), fields)()
        mapped = auto_schema._map_serializer(query, "request")
        return [
            build_parameter_type(
                name=name,
                schema=schema,
                description=schema.pop("description", None),
                location=OpenApiParameter.QUERY,
                allow_blank=getattr(query.fields[name], "allow_blank", True),
                required=name in mapped.get("required", []),
            )
            for name, schema in mapped["properties"].items()
        ]


# --------------------------------------------------------------------------------------
# The base view.
# --------------------------------------------------------------------------------------


class ApiView(GenericAPIView):
    """Base of an API view, whoever calls: JSON bodies (``ApiJSONParser``), capped pagination,
    ``OPTIONS`` that points to the schema, and list filters (``filterset_class``, an
    ``ApiFilterSet``; apply them with ``self.filter_queryset(rows)``)."""

    pagination_class = ApiPagination
    parser_classes = [ApiJSONParser]
    metadata_class = ApiMetadata
    filter_backends = [ApiFilterBackend]
    filterset_class: type[ApiFilterSet] | None = None

    def paginated(self, queryset, serializer_class):
        """A page of ``queryset`` rendered with ``serializer_class`` as the paginated answer."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)
