"""The partner's API view: ``ApiView`` (``core.api``) with the partner's key, its scopes, rate
limits and quota, and the partner's OpenAPI extras.

See the ``partners.api`` package docstring for how to add a route.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from core.api import ApiView

from ..models import Partner
from .auth import PartnerKeyAuthentication
from .deprecation import announce, refuse_retired
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


class PartnerAPIView(ApiView):
    """Base of every ``/api/v1/`` view: key authentication, scope, rate limits and quota.

    Class attributes:
      ``scopes``          ``{"POST": "offers"}`` — the scope of each write method (GET needs ``read``)
      ``security_level``  ``"A1"`` (product info) or ``"A2"`` (customer or money data)
      ``filterset_class`` the list's filters (``core.api.ApiFilterSet``), if it has any
    ``self.partner`` is the calling partner (no query); reach its data only through selectors
    that take it, so another partner's object is a 404.
    """

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [PartnerKeyThrottle]
    schema = PartnerAPISchema()
    scopes: dict[str, str] = {}
    security_level = "A1"

    @classmethod
    def scope_for(cls, method: str) -> str:
        method = method.upper()
        return "read" if method in SAFE else cls.scopes.get(method, "read")

    @property
    def partner(self) -> Partner:
        return self.request.user.partner

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        refuse_retired(request)  # a retired route is a 410, once the caller is known

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        announce(request, response)  # Deprecation / Sunset / Link on a deprecated route or field
        return response
