from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<slug:kind>/<str:pk>/<slug:decision>/", views.inbox_decide, name="inbox_decide"),
    path("jobs/", views.jobs, name="jobs"),
    path("audit/", views.audit, name="audit"),
]
