"""Portal and public pages of messaging. Portal pages live under /app/."""

from django.urls import path

from . import webhooks

app_name = "messaging"

urlpatterns: list = [
    # Provider webhooks: public, authenticated by their signatures.
    path("webhooks/carrier/status/", webhooks.carrier_status, name="webhook-carrier-status"),
    path("webhooks/carrier/inbound/", webhooks.carrier_inbound, name="webhook-carrier-inbound"),
    path("webhooks/twilio/status/", webhooks.twilio_status, name="webhook-twilio-status"),
    path("webhooks/twilio/inbound/", webhooks.twilio_inbound, name="webhook-twilio-inbound"),
]
