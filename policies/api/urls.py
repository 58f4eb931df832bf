from django.urls import path

from . import views

urlpatterns = [
    path("policy/check", views.PolicyCheckApi.as_view(), name="api-policy-check"),
]
