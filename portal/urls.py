from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from core.errors import api_not_found

from . import views
from .api import v1 as api_v1
from .views import accounts

# Under /api the last resort answers JSON too; pages answer the branded error pages.
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"

# The admin carries the product's name, not "Django administration".
admin.site.site_header = _("Finance+N administration")
admin.site.site_title = _("Finance+N staff")
admin.site.index_title = _("Bank staff administration")

urlpatterns = [
    # The open API first: it is the hot path.
    path("api/v1/", api_v1),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Staff have one login, allauth's: the admin's own password forms are never served.
    path("admin/login/", accounts.admin_login, name="admin_login_redirect"),
    path("admin/password_change/", accounts.admin_password_change, name="admin_password_change_redirect"),
    path("admin/", admin.site.urls),
    path("staff/", include("console.urls")),
    path("accounts/enrol/<str:token>/", accounts.staff_enrolment, name="staff_enrolment"),
    path("accounts/", include("allauth.urls")),
    path("api/", include("portal.api")),
    # ``/api`` itself: a JSON 404 for every method, not a slash-appending redirect (which
    # cannot carry a POST body and, with DEBUG on, is an HTML 500).
    re_path(r"^api$", api_not_found),
    path("portal/", include("portal.views.urls")),
    path("", include("partners.urls")),
    path("", views.home, name="home"),
]
# Uploaded files (KYB documents, import files) are never served from MEDIA_URL, not even with
# DEBUG: each goes through a view that checks who is asking (partners.views.document_download,
# the admin's download).
