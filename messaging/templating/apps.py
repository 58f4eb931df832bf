from django.apps import AppConfig


class TemplatingConfig(AppConfig):
    """Message templates with merge fields (messaging/templating/README.md)."""

    name = "messaging.templating"
    label = "templating"
    verbose_name = "Message templates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.portal import navigation
        from accounts.roles import Cap

        navigation.register(navigation.NavItem(33, "Templates", "templating:list", Cap.VIEW))
