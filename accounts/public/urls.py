"""URLs of the public site (landing is ``home`` in config/urls.py)."""

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("legal/", views.LegalIndexView.as_view(), name="legal"),
    path("legal/plain/<slug:page>/", views.LegalPageView.as_view(), name="legal-page"),
    path("help/terms/", views.GlossaryView.as_view(), name="glossary"),
    path("book/", views.AppointmentView.as_view(), name="book"),
    path("book/thanks/", views.AppointmentThanksView.as_view(), name="book-thanks"),
    path("support/", views.SupportView.as_view(), name="support"),
    path("support/thanks/", views.SupportThanksView.as_view(), name="support-thanks"),
    path("privacy/my-requests/", views.VisitorDataView.as_view(), name="visitor-data"),
    path(
        "privacy/my-requests/<str:token>/",
        views.VisitorDataConfirmView.as_view(),
        name="visitor-data-confirm",
    ),
]
