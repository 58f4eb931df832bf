from django.apps import AppConfig


class TwilioApiConfig(AppConfig):
    """The Twilio-compatible API (messaging/twilio_api/README.md)."""

    name = "messaging.twilio_api"
    label = "twilio_api"
    verbose_name = "Twilio-compatible API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from messaging import tenant_webhooks

        from . import privacy, services

        # Status callbacks and inbound forwards follow the same events as tenants' webhooks.
        tenant_webhooks.webhook_listener_register(services.twilio_callbacks_for_events)
        privacy.register()
