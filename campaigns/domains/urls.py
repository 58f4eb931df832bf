"""Portal pages of verified link domains (under /app/)."""

from django.urls import path

from . import views

app_name = "domains"

urlpatterns = [
    path("app/domains/", views.DomainListView.as_view(), name="list"),
    path("app/domains/<uuid:domain_uuid>/check/", views.DomainCheckView.as_view(), name="check"),
]
