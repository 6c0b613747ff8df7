"""URL wiring of the open API v1 (DESIGN.md §4) and its schema and docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from portal.errors import api_not_found

v1_patterns: list = [
    # Each app adds its routes here, e.g. path("", include("partners.api_urls")).
    path("", include("partners.api.urls")),
    path("", include("revenue.api")),
    path("", include("scenarios.api")),
]

urlpatterns = [
    path("v1/", include((v1_patterns, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Anything else under /api/ is a JSON 404, whatever the method.
    re_path(r"^.*$", api_not_found, name="unknown"),
]
