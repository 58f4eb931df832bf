"""Portal pages of contact fields and saved segments (under /app/)."""

from django.urls import path

from . import views

app_name = "audiences"

urlpatterns = [
    path("app/segments/", views.AudienceIndexView.as_view(), name="index"),
    path("app/segments/fields/", views.ContactFieldCreateView.as_view(), name="field-create"),
    path(
        "app/segments/fields/<uuid:field_uuid>/delete/",
        views.ContactFieldDeleteView.as_view(),
        name="field-delete",
    ),
    path("app/segments/new/", views.SegmentCreateView.as_view(), name="segment-create"),
    path(
        "app/segments/<uuid:segment_uuid>/",
        views.SegmentDetailView.as_view(),
        name="segment-detail",
    ),
    path(
        "app/segments/<uuid:segment_uuid>/delete/",
        views.SegmentDeleteView.as_view(),
        name="segment-delete",
    ),
    path(
        "app/contacts/<uuid:contact_uuid>/fields/",
        views.ContactFieldsEditView.as_view(),
        name="contact-fields",
    ),
]
