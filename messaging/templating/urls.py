"""Portal pages of message templates (under /app/)."""

from django.urls import path

from . import views

app_name = "templating"

urlpatterns = [
    path("app/templates/", views.TemplateListView.as_view(), name="list"),
    path("app/templates/<uuid:template_uuid>/", views.TemplateDetailView.as_view(), name="detail"),
    path(
        "app/templates/<uuid:template_uuid>/delete/",
        views.TemplateDeleteView.as_view(),
        name="delete",
    ),
]
