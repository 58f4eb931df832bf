from django.urls import path

from . import api

urlpatterns = [
    path("contact-fields/", api.ContactFieldListApi.as_view(), name="api-contact-fields"),
    path(
        "contact-fields/<uuid:field_uuid>/",
        api.ContactFieldDetailApi.as_view(),
        name="api-contact-field",
    ),
    path("segments/", api.SegmentListApi.as_view(), name="api-segments"),
    path("segments/<uuid:segment_uuid>/", api.SegmentDetailApi.as_view(), name="api-segment"),
]
