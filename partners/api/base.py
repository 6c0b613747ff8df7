"""The open API toolkit: base view, scope permission, pagination, strict input.

See the ``partners.api`` package docstring for how to add a route.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
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
    """``count``, ``next``, ``previous``, ``results``; ``?page=`` and ``?page_size=`` (≤ 200)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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


def query_input(serializer_class, request) -> dict:
    """Validate query parameters with ``serializer_class``; 400 naming each bad one."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^[0-9]{1,12}(\.[0-9]{1,2})?$", "example": "1234.50"}
)
class MoneyField(serializers.DecimalField):
    """A positive amount of money as a string with at most two decimals (``"1234.50"``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        kwargs.setdefault("min_value", Decimal("0.01"))
        super().__init__(**kwargs)
