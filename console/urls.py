from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<slug:kind>/<str:pk>/<slug:decision>/", views.inbox_decide, name="inbox_decide"),
    path("funnel/", views.funnel, name="funnel"),
    path("payouts/", views.payouts, name="payouts"),
    path("risk/", views.risk, name="risk"),
    path("risk/scan/", views.risk_scan, name="risk_scan"),
    path("risk/<int:pk>/<slug:action>/", views.risk_decide, name="risk_decide"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/settlement/<int:pk>/", views.settlement_run, name="settlement_run"),
    path("jobs/imports/<int:pk>/", views.transaction_import, name="transaction_import"),
    path("jobs/settlement/<int:pk>/rerun/", views.settlement_rerun, name="settlement_rerun"),
    path("audit/", views.audit, name="audit"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path(
        "notifications/preferences/",
        views.notification_preferences_edit,
        name="notification-preferences",
    ),
    path("consents/", views.consents, name="consents"),
]
