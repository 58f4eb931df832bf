from django.apps import AppConfig


class RemindersConfig(AppConfig):
    """Appointment reminders (messaging/reminders/README.md)."""

    name = "messaging.reminders"
    label = "reminders"
    verbose_name = "Appointment reminders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.portal import navigation
        from accounts.roles import Cap
        from messaging.services import inbound_handler_register

        from . import panels, privacy, services, webhook_events

        # a C / R reply to a reminder: messaging's inbound calls it for texts that are no
        # keyword (STOP / HELP / START always win)
        inbound_handler_register(services.reminder_reply)
        navigation.register(navigation.NavItem(28, "Reminders", "reminders:index", Cap.VIEW))
        panels.register()
        webhook_events.register()  # appointment.reply in the event catalog
        privacy.register()
