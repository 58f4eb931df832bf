from django.urls import path

from . import api

urlpatterns = [
    path("appointments/", api.AppointmentListApi.as_view(), name="api-appointments"),
    path(
        "appointments/import/", api.AppointmentImportApi.as_view(), name="api-appointments-import"
    ),
    path(
        "appointments/<uuid:appointment_uuid>/",
        api.AppointmentDetailApi.as_view(),
        name="api-appointment",
    ),
    path("reminder-rules/", api.RuleListApi.as_view(), name="api-reminder-rules"),
    path("reminder-rules/<uuid:rule_uuid>/", api.RuleDetailApi.as_view(), name="api-reminder-rule"),
    path("calendar-feeds/", api.FeedListApi.as_view(), name="api-calendar-feeds"),
    path("calendar-feeds/<uuid:feed_uuid>/", api.FeedDetailApi.as_view(), name="api-calendar-feed"),
]
