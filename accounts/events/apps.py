from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "accounts.events"
    label = "events"
    verbose_name = "Events and webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import hooks

        from . import catalog, services

        catalog.register(*catalog.BUSINESS_EVENTS, catalog.TEST_EVENT)
        # the tenant base cannot import this sub-app: it calls its vetting hook instead
        hooks.vetting_changed.register(services.business_vetting_event)
