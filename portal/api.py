"""URL wiring of the open API v1 (docs/api.md) and its schema and docs."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace, csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path, re_path
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import JSONRenderer

from core.errors import api_not_found
from partners.api import urls as partners_api
from partners.selectors import sandbox_key_for_docs
from revenue import api as revenue_api
from scenarios import api as scenarios_api
from scenarios import insights_api

from . import access as portal_access
from .api_examples import route_examples

# Every v1 route in one flat list (each app adds its ``urlpatterns`` here): no nested
# resolver per app on the hot path of every API call.
v1_patterns: list = [
    *partners_api.urlpatterns,
    *revenue_api.urlpatterns,
    *scenarios_api.urlpatterns,
    *insights_api.urlpatterns,
]

# Mounted first in ``portal.urls`` as ``api/v1/``: one resolver level between the root and a
# route. Anything under /api/ that is not a v1 route falls through to ``urlpatterns``.
v1 = include((v1_patterns, "api"), namespace="v1")


class JsonErrors:
    """The schema and docs views answer their errors (405, 406) in the API's JSON error shape,
    not in the YAML or HTML they render on success."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class SchemaView(JsonErrors, SpectacularAPIView):
    pass


# What the examples show where a signed-in member's sandbox key would be.
KEY_PLACEHOLDER = "YOUR_SANDBOX_KEY"


def docs_sandbox_key(request: HttpRequest) -> tuple[portal_access.PartnerAccess | None, str | None]:
    """The signed-in member's partner (None for anyone else) and its sandbox key for the docs
    (None without one). The key goes only to a member of its own partner, on a private page."""
    if not getattr(request.user, "is_authenticated", False):  # DRF's anonymous user is None
        return None, None
    access = portal_access.resolve(request)
    if access is None or access.partner.is_closed:
        return access, None
    return access, sandbox_key_for_docs(partner=access.partner)


def private(response: HttpResponse) -> HttpResponse:
    """A page that may hold a key: never stored by a browser or a proxy, per signed-in user."""
    add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
    patch_vary_headers(response, ("Cookie",))
    return response


class SwaggerView(JsonErrors, SpectacularSwaggerView):
    """Swagger UI, authorised with the signed-in member's sandbox key (api-docs.js), with links
    to the examples and the changelog."""

    # The portal's session says who reads the docs (the API itself never takes a session).
    authentication_classes = [SessionAuthentication]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        _access, key = docs_sandbox_key(request)
        response.data["sandbox_key"] = key
        return private(response)


def api_examples(request: HttpRequest) -> HttpResponse:
    """Every route in curl, Python and Java, with the member's sandbox key filled in."""
    access, key = docs_sandbox_key(request)
    base = request.build_absolute_uri("/").rstrip("/")
    examples = [e.filled(base=base, key=key or KEY_PLACEHOLDER) for e in route_examples()]
    context = {"access": access, "examples": examples, "has_key": bool(key), "placeholder": KEY_PLACEHOLDER}
    return private(render(request, "api/examples.html", context))


class RedocView(JsonErrors, SpectacularRedocView):
    pass


# Redoc needs more than the site's Content-Security-Policy: its styled-components insert <style>
# elements before its nonce option takes effect, and its search runs in a worker made from a
# blob. Nothing is loaded from a CDN: Redoc itself comes from drf-spectacular-sidecar.
redoc = csp_replace({"style-src": [SELF, UNSAFE_INLINE]})(
    csp_update({"worker-src": [SELF, "blob:"]})(RedocView.as_view(url_name="api-schema"))
)

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", redoc, name="api-redoc"),
    # API lifecycle: copy-ready calls of every route (docs/api-lifecycle.md)
    path("docs/examples/", api_examples, name="api-examples"),
    # Anything else under /api/ is a JSON 404, whatever the method and whatever the path holds
    # (``[\s\S]``: a newline, ``%0A``, is part of the path too).
    re_path(r"^[\s\S]*\Z", api_not_found, name="unknown"),
]
