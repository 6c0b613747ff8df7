"""Routes of the partners app in the open API v1 (included by ``portal.api``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("usage/", views.UsageView.as_view(), name="usage"),
]
