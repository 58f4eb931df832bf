"""The URLconf of the product with ``POST /api/v1/messages/`` served by the DRF view alone
(no lean path): the reference the lean path is compared with (test_lean_send.py)."""

from django.urls import include, path

from messaging.api.views.messages import MessageListCreateApi

urlpatterns = [
    path("api/v1/messages/", MessageListCreateApi.as_view()),
    path("", include("config.urls")),
]
