"""Portal pages of policies. Portal pages live under /app/."""

from django.urls import path

from . import views

app_name = "policies"

urlpatterns = [
    path("app/policy/", views.PolicyOverviewView.as_view(), name="overview"),
    path("app/policy/check/", views.PolicyCheckView.as_view(), name="check"),
]
