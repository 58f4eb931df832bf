"""Portal pages of campaigns (under /app/) and the registry's webhook."""

from django.urls import path

from . import webhooks

app_name = "campaigns"

urlpatterns = [
    path("webhooks/registry/", webhooks.RegistryWebhookView.as_view(), name="registry-webhook"),
]
