from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from . import views
from .api import v1 as api_v1
from .errors import api_not_found

# Under /api the last resort answers JSON too (pages keep Django's).
handler404 = "portal.errors.not_found"
handler500 = "portal.errors.server_error"

urlpatterns = [
    # The open API first: it is the hot path.
    path("api/v1/", api_v1),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("staff/", include("portal.console.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", include("portal.api")),
    # ``/api`` itself: a JSON 404 for every method, not a slash-appending redirect (which
    # cannot carry a POST body and, with DEBUG on, is an HTML 500).
    re_path(r"^api$", api_not_found),
    path("portal/", include("portal.views.urls")),
    path("", include("partners.urls")),
    path("", views.home, name="home"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
