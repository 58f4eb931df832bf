"""Portal pages of appointment reminders (under /app/)."""

from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("app/reminders/", views.RemindersView.as_view(), name="index"),
    path("app/reminders/rules/", views.RuleCreateView.as_view(), name="rule-create"),
    path(
        "app/reminders/rules/<uuid:rule_uuid>/delete/",
        views.RuleDeleteView.as_view(),
        name="rule-delete",
    ),
    path(
        "app/reminders/appointments/",
        views.AppointmentCreateView.as_view(),
        name="appointment-create",
    ),
    path(
        "app/reminders/appointments/import/",
        views.AppointmentImportView.as_view(),
        name="appointment-import",
    ),
    path(
        "app/reminders/appointments/<uuid:appointment_uuid>/",
        views.AppointmentActionView.as_view(),
        name="appointment-action",
    ),
    path("app/reminders/feeds/", views.FeedCreateView.as_view(), name="feed-create"),
    path(
        "app/reminders/feeds/<uuid:feed_uuid>/poll/", views.FeedPollView.as_view(), name="feed-poll"
    ),
    path(
        "app/reminders/feeds/<uuid:feed_uuid>/delete/",
        views.FeedDeleteView.as_view(),
        name="feed-delete",
    ),
]
