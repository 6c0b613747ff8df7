"""URL wiring of the open API v1 (docs/api.md) and its schema and docs."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace, csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.renderers import JSONRenderer

from core.errors import api_not_found
from partners.api import urls as partners_api
from revenue import api as revenue_api
from scenarios import api as scenarios_api
from scenarios import insights_api

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


class SwaggerView(JsonErrors, SpectacularSwaggerView):
    pass


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
    # Anything else under /api/ is a JSON 404, whatever the method and whatever the path holds
    # (``[\s\S]``: a newline, ``%0A``, is part of the path too).
    re_path(r"^[\s\S]*\Z", api_not_found, name="unknown"),
]
