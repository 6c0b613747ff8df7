from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("invitations/<str:token>/", views.invitation_accept, name="invitation"),
    path("documents/<int:document_id>/", views.document_download, name="document"),
]
